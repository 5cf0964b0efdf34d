using System.Collections.ObjectModel;

namespace Samsa.Storage.Checkpoints;

/// <summary>
/// A partition's leader epochs and the offset each began at, backed by its leader-epoch-checkpoint
/// (Kafka's LeaderEpochFileCache). The partition's appender assigns epochs and truncates; the fetch
/// path and OffsetsForLeaderEpoch read concurrently. Writers serialize on a lock and persist before
/// they publish; readers take no lock: they read an immutable array that a writer swaps in whole.
/// Entries are strictly increasing in both epoch and start offset.
/// </summary>
public sealed class LeaderEpochCache
{
    /// <summary>Kafka's UNDEFINED_EPOCH, returned when no epoch answers a request.</summary>
    public const int UndefinedEpoch = -1;

    /// <summary>Kafka's UNDEFINED_EPOCH_OFFSET, returned with <see cref="UndefinedEpoch"/>.</summary>
    public const long UndefinedEpochOffset = -1;

    private readonly LeaderEpochCheckpointFile _file;
    private readonly Lock _writeLock = new();
    private volatile EpochEntry[] _entries;

    /// <summary>Loads the entries already in <paramref name="file"/>.</summary>
    /// <exception cref="StorageException">The checkpoint is corrupt or unreadable.</exception>
    public LeaderEpochCache(LeaderEpochCheckpointFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;

        // Replayed through the assign rules, as Kafka does, so a file that is not monotonic (written
        // by a buggy or older broker) loads as the entries that would have survived. The file is
        // not rewritten here: the log's recovery truncates the cache next and persists the result.
        EpochEntry[] entries = [];
        foreach (EpochEntry entry in file.Read())
        {
            if (entry.Epoch < 0 || entry.StartOffset < 0)
            {
                throw new StorageException($"Invalid leader epoch entry {entry} in {file.Path}");
            }

            entries = WithAssigned(entries, entry) ?? entries;
        }

        _entries = entries;
    }

    public string Path => _file.Path;

    /// <summary>The entries, oldest first; a snapshot that later changes do not affect.</summary>
    public IReadOnlyList<EpochEntry> Entries => new ReadOnlyCollection<EpochEntry>(_entries);

    public EpochEntry? Latest
    {
        get
        {
            EpochEntry[] entries = _entries;
            return entries.Length == 0 ? null : entries[^1];
        }
    }

    public int? LatestEpoch
    {
        get
        {
            EpochEntry[] entries = _entries;
            return entries.Length == 0 ? null : entries[^1].Epoch;
        }
    }

    /// <summary>
    /// Records that <paramref name="epoch"/> starts at <paramref name="startOffset"/> and persists
    /// the change. Repeating the latest epoch at the same or a later offset changes nothing. Any
    /// other assignment wins over the entries it conflicts with: entries at the end with an epoch
    /// &gt;= <paramref name="epoch"/> or a start offset &gt;= <paramref name="startOffset"/> are
    /// removed first, so the cache stays strictly increasing in both. The appender only assigns
    /// epochs newer than <see cref="LatestEpoch"/>; the removal covers a leader that restarts an
    /// epoch lower in the log after a truncation.
    /// </summary>
    /// <exception cref="StorageException">The checkpoint could not be written; the cache is unchanged.</exception>
    public void Assign(int epoch, long startOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegative(startOffset);
        EpochEntry entry = new(epoch, startOffset);

        // Every appended batch carries an epoch, nearly always the latest one: answer that without
        // the lock.
        if (!IsUpdateNeeded(_entries, entry))
        {
            return;
        }

        lock (_writeLock)
        {
            EpochEntry[]? updated = WithAssigned(_entries, entry);
            if (updated is not null)
            {
                Publish(updated, requireDirectory: true);
            }
        }
    }

    /// <summary>
    /// OffsetsForLeaderEpoch: the largest known epoch &lt;= <paramref name="requestedEpoch"/> and
    /// the offset where it ended, which is the next higher epoch's start offset, or
    /// <paramref name="logEndOffset"/> when <paramref name="requestedEpoch"/> is the latest epoch.
    /// When <paramref name="requestedEpoch"/> is older than every known epoch (their history was
    /// deleted by retention), the answer is (<paramref name="requestedEpoch"/>, the first entry's
    /// start offset) as in Kafka, so a follower truncates to where our log begins. An undefined or
    /// unknown newer epoch, or an empty cache, gives
    /// (<see cref="UndefinedEpoch"/>, <see cref="UndefinedEpochOffset"/>).
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        EpochEntry[] entries = _entries;
        if (requestedEpoch == UndefinedEpoch || entries.Length == 0)
        {
            return (UndefinedEpoch, UndefinedEpochOffset);
        }

        if (entries[^1].Epoch == requestedEpoch)
        {
            // The leader's current epoch is still being written: it ends at the log end.
            return (requestedEpoch, logEndOffset);
        }

        int higher = FirstIndexWithEpochAbove(entries, requestedEpoch);
        if (higher == entries.Length)
        {
            return (UndefinedEpoch, UndefinedEpochOffset);
        }

        if (higher == 0)
        {
            return (requestedEpoch, entries[0].StartOffset);
        }

        return (entries[higher - 1].Epoch, entries[higher].StartOffset);
    }

    /// <summary>
    /// After the log is truncated to <paramref name="endOffset"/>, removes the entries that start at
    /// or beyond it and persists the change (unless the partition dir is already gone).
    /// </summary>
    /// <exception cref="StorageException">The checkpoint could not be written; the cache is unchanged.</exception>
    public void TruncateFromEnd(long endOffset)
    {
        lock (_writeLock)
        {
            EpochEntry[] entries = _entries;
            if (endOffset < 0 || entries.Length == 0 || entries[^1].StartOffset < endOffset)
            {
                return;
            }

            int keep = entries.Length;
            while (keep > 0 && entries[keep - 1].StartOffset >= endOffset)
            {
                keep--;
            }

            Publish(entries[..keep], requireDirectory: false);
        }
    }

    /// <summary>
    /// After the log start moves to <paramref name="startOffset"/> (retention, DeleteRecords),
    /// removes the entries wholly below it and moves the entry covering it to start there, so an
    /// entry starting exactly at <paramref name="startOffset"/> stays as it is. Persists the change
    /// (unless the partition dir is already gone).
    /// </summary>
    /// <exception cref="StorageException">The checkpoint could not be written; the cache is unchanged.</exception>
    public void TruncateFromStart(long startOffset)
    {
        lock (_writeLock)
        {
            EpochEntry[] entries = _entries;
            int covered = 0;
            while (covered < entries.Length && entries[covered].StartOffset <= startOffset)
            {
                covered++;
            }

            if (covered == 0 || (covered == 1 && entries[0].StartOffset == startOffset))
            {
                return;
            }

            EpochEntry[] updated = new EpochEntry[entries.Length - covered + 1];
            updated[0] = new EpochEntry(entries[covered - 1].Epoch, startOffset);
            Array.Copy(entries, covered, updated, 1, entries.Length - covered);
            Publish(updated, requireDirectory: false);
        }
    }

    /// <summary>Removes every entry and persists that (unless the partition dir is already gone).</summary>
    /// <exception cref="StorageException">The checkpoint could not be written; the cache is unchanged.</exception>
    public void Clear()
    {
        lock (_writeLock)
        {
            Publish([], requireDirectory: false);
        }
    }

    private static bool IsUpdateNeeded(EpochEntry[] entries, EpochEntry entry) =>
        entries.Length == 0 || entries[^1].Epoch != entry.Epoch || entry.StartOffset < entries[^1].StartOffset;

    /// <summary>The entries with <paramref name="entry"/> assigned, or null when nothing changes.</summary>
    private static EpochEntry[]? WithAssigned(EpochEntry[] entries, EpochEntry entry)
    {
        if (!IsUpdateNeeded(entries, entry))
        {
            return null;
        }

        int keep = entries.Length;
        while (keep > 0 && (entries[keep - 1].Epoch >= entry.Epoch || entries[keep - 1].StartOffset >= entry.StartOffset))
        {
            keep--;
        }

        EpochEntry[] updated = new EpochEntry[keep + 1];
        Array.Copy(entries, updated, keep);
        updated[keep] = entry;
        return updated;
    }

    private static int FirstIndexWithEpochAbove(EpochEntry[] entries, int epoch)
    {
        int low = 0;
        int high = entries.Length;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (entries[middle].Epoch > epoch)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }

    // Called under _writeLock. Disk first: if the write fails the cache keeps what the file has.
    private void Publish(EpochEntry[] updated, bool requireDirectory)
    {
        if (requireDirectory)
        {
            _file.Write(updated);
        }
        else
        {
            _file.WriteIfDirectoryExists(updated);
        }

        _entries = updated;
    }
}
