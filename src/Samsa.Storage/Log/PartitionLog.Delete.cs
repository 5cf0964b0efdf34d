namespace Samsa.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Suffix of a partition directory on its way out: <c>&lt;topic&gt;-&lt;partition&gt;.&lt;id&gt;-delete</c>,
    /// Kafka's name. A log dir skips such directories at load and removes them.
    /// </summary>
    internal const string DeletedDirectorySuffix = "-delete";

    /// <summary>
    /// Deletes a partition directory whose handles the log has closed, never throwing for a file
    /// still in use.
    /// <para>
    /// What Windows needs (the seed's warning: deleting a topic takes Kafka down there, because it
    /// deletes or renames files it still has mapped or open). On Windows a file can be deleted or
    /// renamed while open only if every handle to it was opened with FILE_SHARE_DELETE, and a
    /// mapped file not at all; a deleted file that is still open stays "delete pending" (its name
    /// blocks removing the directory) until the last handle closes; a directory cannot be renamed
    /// while a file under it is open. Linux and macOS unlink open files at once.
    /// </para>
    /// <para>
    /// What we do. No file under Samsa.Storage is ever memory-mapped (indexes are read into arrays
    /// and written with positioned writes). Every handle to a segment or index opens with
    /// <see cref="FileShare.ReadWrite"/> | <see cref="FileShare.Delete"/>; the only exceptions are
    /// the log dir's <c>.lock</c> (exclusive by design, never in a partition) and the temporary
    /// file a checkpoint or snapshot writes before renaming it, which allows reads and deletes but
    /// no second writer. Segment handles are leased by reference count, so <see cref="Delete"/>
    /// closes them all first and a read in flight keeps the OS handle only until it returns;
    /// segments leaving the log earlier were renamed to <c>.deleted</c> and are deleted by their
    /// own close. Here the directory is first renamed out of the way (so the partition can be
    /// created again at once), then deleted; if Windows still refuses (a read in flight, another
    /// process such as a virus scanner or backup holding a file), the error is swallowed and the
    /// renamed directory is returned: the log dir's maintenance pass tries it again, and its next
    /// load removes it if nothing did before. (Should even the rename be
    /// refused and the delete fail, the files stay under the partition's own name and load again
    /// as that partition, as after a crash before the delete.) On Linux the directory is always
    /// gone when this returns.
    /// </para>
    /// </summary>
    /// <param name="deleteTree">Removes a directory tree, false when something refused (<see cref="TryDeleteTree"/>).</param>
    /// <returns>What is left of the directory (its new name), or null when it is gone.</returns>
    internal static string? RemoveDirectory(string dir, Func<string, bool> deleteTree)
    {
        string target = string.Concat(dir.AsSpan().TrimEnd(Path.DirectorySeparatorChar), ".", Guid.NewGuid().ToString("N"), DeletedDirectorySuffix);
        try
        {
            System.IO.Directory.Move(dir, target);
        }
        catch (DirectoryNotFoundException)
        {
            return null; // already gone: deleting is idempotent
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            target = dir; // Windows, a file under it still open: delete in place
        }

        return deleteTree(target) ? null : target;
    }

    /// <summary>
    /// Deletes <paramref name="dir"/> and everything under it; false when something refused (on
    /// Windows a file still open elsewhere, see <see cref="RemoveDirectory"/>): what is left stays
    /// for a later try (the log dir's maintenance pass, its next load).
    /// </summary>
    internal static bool TryDeleteTree(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
            return true;
        }
        catch (DirectoryNotFoundException)
        {
            return true; // already gone
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
