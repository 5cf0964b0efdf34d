using System.Text;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// The marker a broker leaves in each log dir after a clean shutdown, once every log is flushed and
/// every checkpoint written. Present at startup: the recovery points can be trusted and recovery
/// skips validating the logs. The broker deletes it as soon as it has loaded the logs, so a crash
/// afterwards finds none and recovers fully. The contents are Kafka 3.x's
/// (<c>{"version":0,"brokerEpoch":-1}</c>, -1 meaning no KRaft broker epoch) so Kafka reads our
/// marker too; only the file's existence matters to either.
/// </summary>
public static class CleanShutdownFile
{
    public const string FileName = ".kafka_cleanshutdown";

    private static readonly byte[] Contents = Encoding.UTF8.GetBytes("{\"version\":0,\"brokerEpoch\":-1}");

    public static bool Exists(string logDir) => File.Exists(PathIn(logDir));

    /// <summary>Writes the marker durably: once this returns, a restart sees a clean shutdown.</summary>
    /// <exception cref="StorageException">The marker could not be written.</exception>
    public static void Write(string logDir) => AtomicFile.Write(PathIn(logDir), Contents);

    /// <summary>
    /// Removes the marker and syncs the directory, so a crash from here on cannot bring it back and
    /// make an unrecovered log look clean.
    /// </summary>
    /// <exception cref="StorageException">The marker could not be removed.</exception>
    public static void Delete(string logDir)
    {
        string path = PathIn(logDir);
        try
        {
            File.Delete(path);
            DirectorySync.Flush(System.IO.Path.GetDirectoryName(path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"Failed to delete {path}: {e.Message}", e);
        }
    }

    private static string PathIn(string logDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(logDir);
        return System.IO.Path.GetFullPath(System.IO.Path.Combine(logDir, FileName));
    }
}
