using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage;

/// <summary>
/// Creates a new empty file, replacing one left at the path: create exclusively, and only if
/// something is there, delete it and create again.
/// Not <see cref="FileMode.Create"/>: on Unix .NET opens with O_CREAT, then truncates with
/// <c>ftruncate(fd, 0)</c> (after taking its advisory lock), and ext4 (auto_da_alloc) takes a
/// truncation to zero for the replace-via-truncate pattern and starts write-back of the file's
/// data at its close. Behind a device queue full of a sealed segment's fsync, that close of a
/// 10-byte producer snapshot took 0.2-0.9 s under the partition's append lock at each roll
/// (docs/benchmarks.md "Produce stalls: the thread pool").
/// </summary>
internal static class EmptyFile
{
    public static SafeFileHandle Create(string path, FileAccess access, FileShare share)
    {
        try
        {
            return File.OpenHandle(path, FileMode.CreateNew, access, share);
        }
        catch (IOException) when (File.Exists(path))
        {
            // A leftover (a crash between create and rename, say): rare, so the unlink, which
            // takes the directory's lock, is paid only then, not at every roll.
            File.Delete(path);
            return File.OpenHandle(path, FileMode.CreateNew, access, share);
        }
    }
}
