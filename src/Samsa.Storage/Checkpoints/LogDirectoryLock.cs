namespace Samsa.Storage.Checkpoints;

/// <summary>
/// Exclusive use of a log dir by one broker process, held from startup to shutdown through the
/// <c>.lock</c> file, as in Kafka. The file is opened with <see cref="FileShare.None"/>: on Windows
/// that is a sharing-mode lock; on Linux and macOS .NET takes an advisory <c>flock(LOCK_EX)</c> on it,
/// which excludes every other open of the file that asks for a lock (another FileStream in this or
/// any process, <c>flock(1)</c>), but not a process that ignores advisory locks. Kafka itself locks
/// with fcntl (Java's FileChannel.tryLock), which does not conflict with flock on Linux, so a Kafka
/// broker and a Samsa broker on the same dir do not exclude each other. The file is left in place on
/// dispose, as Kafka leaves it; only the lock is released. Setting
/// DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns the Unix lock off for the whole process.
/// </summary>
public sealed class LogDirectoryLock : IDisposable
{
    public const string FileName = ".lock";

    private readonly FileStream _stream;

    private LogDirectoryLock(string logDir, FileStream stream)
    {
        LogDir = logDir;
        _stream = stream;
    }

    public string LogDir { get; }

    /// <exception cref="StorageException">
    /// The dir is locked by another process (or another lock in this one), or cannot be opened.
    /// </exception>
    public static LogDirectoryLock Acquire(string logDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDir);
        string path = Path.Combine(logDir, FileName);
        try
        {
            FileStream stream = new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
            return new LogDirectoryLock(logDir, stream);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or PathTooLongException)
        {
            throw new StorageException($"Cannot lock log directory {logDir}: {e.Message}", e);
        }
        catch (IOException e)
        {
            // What remains is the sharing violation (Windows) or EWOULDBLOCK from flock (Unix).
            throw new StorageException($"Log directory {logDir} is in use by another process", e);
        }
    }

    public void Dispose() => _stream.Dispose();
}
