namespace Samsa.Storage.Checkpoints;

/// <summary>
/// Replaces a small file so that after a crash it holds either the old contents or the new ones,
/// never a mix or nothing: write <c>&lt;path&gt;.tmp</c>, fsync it, rename it over
/// <paramref name="path"/>, fsync the directory. Used for every checkpoint and marker file of a log
/// dir and a partition dir. Callers serialize writes to one path; concurrent writers of the same
/// path would race on the shared temporary file.
/// </summary>
public static class AtomicFile
{
    public const string TemporarySuffix = ".tmp";

    /// <exception cref="StorageException">The file could not be written; the old one, if any, is intact.</exception>
    public static void Write(string path, ReadOnlySpan<byte> contents)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        string temporaryPath = fullPath + TemporarySuffix;
        try
        {
            // FileMode.Create truncates a .tmp left by a write that crashed half way. No second
            // writer, but reads and deletes are shared (a partition delete on Windows; see
            // PartitionLog.RemoveDirectory).
            using (FileStream stream = new(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete, bufferSize: 0))
            {
                stream.Write(contents);

                // The data must be on disk before the rename is: otherwise a crash right after the
                // rename can leave the new name pointing at an empty or partial file.
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporaryPath, fullPath, overwrite: true);

            // The rename itself lives in the directory; until the directory is synced a crash may
            // bring back the old entry (or, for a first write, no entry at all).
            DirectorySync.Flush(Path.GetDirectoryName(fullPath)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporaryPath);
            throw new StorageException($"Failed to write {fullPath}: {e.Message}", e);
        }
    }

    private static void TryDelete(string temporaryPath)
    {
        try
        {
            File.Delete(temporaryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write already failed and that failure is what the caller must see; a stray .tmp
            // is harmless because readers never look at it and the next write truncates it.
        }
    }
}
