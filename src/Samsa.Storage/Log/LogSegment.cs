using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// One segment of a partition log: <c>&lt;base&gt;.log</c> with its <c>.index</c> and <c>.timeindex</c>.
/// <para>
/// Ownership: the <see cref="PartitionLog"/> that holds it. Mutations (append, truncate, seal,
/// rename, close) come only from the log's writer side under the log's locks. Readers use it
/// without the log lock: they take a lease on the file handle (<see cref="AcquireHandle"/>, a
/// SafeHandle reference count), so closing the handle — idle release, deletion, log close — never
/// pulls a file out from under a read in flight; the OS handle is closed when the last lease ends,
/// and reads that start afterwards see a closed segment instead of an exception.
/// </para>
/// <para>
/// Resources are lazy so 10,000 idle partitions cost little: the file handle opens on first use,
/// and a sealed segment loads its indexes only when a read or retention needs them (validating
/// them and rebuilding from the log when they are missing or bad). <see cref="ReleaseIdleResources"/>
/// drops both again. The active segment keeps its indexes in memory and saves them on roll, flush
/// and close.
/// </para>
/// </summary>
internal sealed partial class LogSegment
{
    /// <summary>Bytes read per step when scanning headers: one index interval plus a header.</summary>
    internal const int ScanBufferSize = 4096 + RecordBatch.HeaderSize;

    private const long NoReadHint = -1;

    private readonly LogConfig _config;
    private readonly Lock _resourceLock = new();
    private string _logPath;
    private string _indexPath;
    private string _timeIndexPath;
    private SafeFileHandle? _handle;
    private OffsetIndex? _offsetIndex;
    private TimeIndex? _timeIndex;
    private int _size;
    private int _bytesSinceLastIndexEntry;
    private long _maxTimestamp = -1;
    private long _offsetOfMaxTimestamp;
    private bool _maxTimestampKnown;
    private long _rollingBaseTimeMs = -1;
    private bool _renamedForDeletion;

    // Seal wrote the index files without fsync and dropped the indexes: the next fsyncing save
    // syncs the files themselves. Under _resourceLock.
    private bool _indexSyncPending;

    // The active (appended) segment; every other one is sealed and its time index ends with the
    // segment's maximum. Writer only: set by create/load-as-active/reactivate, cleared by Seal.
    private bool _active;
    private volatile bool _closed;

    // Where the last read stopped, packed into one atomic word: (next offset - base) << 32 |
    // position of the batch boundary there. A consumer's next fetch asks for exactly that offset,
    // and starting the scan at that boundary skips the index lookup and the pread of the header of
    // the batch before it (the one the index entry names). Reset by truncation. -1: none.
    private long _readHint = NoReadHint;

    private LogSegment(string dir, long baseOffset, LogConfig config, int size)
    {
        BaseOffset = baseOffset;
        _config = config;
        _logPath = LogFileNames.LogPath(dir, baseOffset);
        _indexPath = LogFileNames.IndexPath(dir, baseOffset);
        _timeIndexPath = LogFileNames.TimeIndexPath(dir, baseOffset);
        _size = size;
        _offsetOfMaxTimestamp = baseOffset;
        RollJitterMs = config.RandomSegmentJitter();
    }

    public long BaseOffset { get; }

    /// <summary>How long before segment.ms this segment rolls (segment.jitter.ms), drawn when it is created or opened.</summary>
    public long RollJitterMs { get; }

    /// <summary>Bytes of whole batches in the file, as far as the writer has published them.</summary>
    public int Size => Volatile.Read(ref _size);

    public string LogPath => Volatile.Read(ref _logPath);

    public bool IsClosed => _closed;

    /// <summary>Heap bytes held by loaded indexes (0 when idle), for memory accounting.</summary>
    public int IndexHeapBytes => (Volatile.Read(ref _offsetIndex)?.HeapBytes ?? 0) + (Volatile.Read(ref _timeIndex)?.HeapBytes ?? 0);

    public bool HasOpenHandle => Volatile.Read(ref _handle) is not null;

    /// <summary>Creates an empty segment file (replacing any leftover) and its empty in-memory indexes.</summary>
    /// <remarks><paramref name="recycled"/>: a sealed segment's index storage to fill instead of allocating.</remarks>
    public static LogSegment CreateNew(string dir, long baseOffset, LogConfig config, IndexStorage recycled = default)
    {
        var segment = new LogSegment(dir, baseOffset, config, 0);

        // A leftover's entries could come back after a crash unless its emptied file is synced.
        bool indexesNew = !DeleteLeftover(segment._indexPath) & !DeleteLeftover(segment._timeIndexPath);
        segment._handle = EmptyFile.Create(segment._logPath, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        segment._offsetIndex = new OffsetIndex(baseOffset, config.MaxOffsetIndexEntries, recycled.Offsets, fileIsNew: indexesNew);
        segment._timeIndex = new TimeIndex(baseOffset, config.MaxTimeIndexEntries, recycled.Times, fileIsNew: indexesNew);
        segment._maxTimestampKnown = true;
        segment._active = true;
        return segment;
    }

    /// <summary>
    /// Deletes a file only when it is there: a lookup takes the directory's lock shared at most
    /// (none for a name the kernel has cached), an unlink takes it exclusively even for an absent
    /// name, and at a roll such unlinks waited up to 0.6 s behind a busy disk.
    /// </summary>
    /// <returns>Whether there was one.</returns>
    private static bool DeleteLeftover(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        File.Delete(path);
        return true;
    }

    /// <summary>An existing segment file of the given size; nothing is opened or read yet.</summary>
    public static LogSegment OpenExisting(string dir, long baseOffset, LogConfig config, long fileSize)
    {
        if (fileSize > int.MaxValue)
        {
            throw new StorageException($"Segment {LogFileNames.LogPath(dir, baseOffset)} is larger than 2 GiB.");
        }

        return new LogSegment(dir, baseOffset, config, (int)fileSize) { _uncheckedEnd = (int)fileSize };
    }

    /// <summary>
    /// A leased handle (call <see cref="SafeHandle.DangerousRelease"/> when done), opening the file
    /// if needed; null once the segment is closed or its file is gone.
    /// </summary>
    public SafeFileHandle? AcquireHandle()
    {
        // Two tries: an idle release may dispose the handle between our read of it and the AddRef.
        for (int attempt = 0; attempt < 2; attempt++)
        {
            SafeFileHandle? handle = Volatile.Read(ref _handle);
            if (handle is null)
            {
                lock (_resourceLock)
                {
                    if (_closed)
                    {
                        return null;
                    }

                    if (_handle is null)
                    {
                        try
                        {
                            _handle = File.OpenHandle(_logPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                        }
                        catch (FileNotFoundException)
                        {
                            return null;
                        }
                    }

                    handle = _handle;
                }
            }

            if (handle.IsClosed)
            {
                continue;
            }

            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                return handle;
            }
            catch (ObjectDisposedException)
            {
                // Disposed by an idle release in the window above; the next try reopens.
            }
        }

        return null;
    }

    /// <summary>Reads stored bytes at <paramref name="position"/>; returns how many (fewer if the file is shorter, 0 if closed).</summary>
    public int Read(long position, Span<byte> destination)
    {
        SafeFileHandle? handle = AcquireHandle();
        if (handle is null)
        {
            return 0;
        }

        try
        {
            return BatchHeaderScanner.ReadFully(handle, destination, position);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    public async ValueTask<int> ReadAsync(long position, Memory<byte> destination, CancellationToken cancellationToken)
    {
        SafeFileHandle? handle = AcquireHandle();
        if (handle is null)
        {
            return 0;
        }

        try
        {
            int total = 0;
            while (total < destination.Length)
            {
                int n = await RandomAccess.ReadAsync(handle, destination[total..], position + total, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                total += n;
            }

            return total;
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Writes whole, already validated and offset-assigned batches at the end and indexes them.
    /// The new size is not visible to readers until the log publishes it with
    /// <see cref="PublishSize"/>, together with the new log end offset. Writer only.
    /// With <paramref name="crc"/> (the batches' CRC check, running beside this write), returns -1
    /// when it fails: the written bytes are cut off again and nothing is indexed.
    /// </summary>
    public int Append(ReadOnlySpan<byte> records, long nowMs, BackgroundCrcCheck? crc = null)
    {
        SafeFileHandle handle = AcquireHandle() ?? throw new StorageException($"Segment {LogPath} is closed.");
        try
        {
            int position = _size;
            try
            {
                RandomAccess.Write(handle, records, position);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full disk fails the write part way (short write, then ENOSPC): cut what got in so
                // the file ends at its last whole batch again, and sync the cut (the recovery point
                // may already cover this end, and a clean close syncs nothing it covers). Neither
                // needs space; if either fails, its exception replaces this one and the log goes offline.
                RandomAccess.SetLength(handle, position);
                RandomAccess.FlushToDisk(handle);
                throw;
            }

            if (crc is not null && !crc.Complete())
            {
                // Past the published size, so no reader saw these bytes; cut and synced as above,
                // or a clean close (which trusts the framing, not the CRCs) would keep them.
                RandomAccess.SetLength(handle, position);
                RandomAccess.FlushToDisk(handle);
                return -1;
            }

            if (position == 0 || _rollingBaseTimeMs < 0)
            {
                _rollingBaseTimeMs = nowMs;
            }

            OffsetIndex offsetIndex = _offsetIndex!;
            TimeIndex timeIndex = _timeIndex!;
            for (int p = 0; p < records.Length;)
            {
                var batch = BatchHeaderInfo.Read(records[p..], position + p);
                IndexBatch(offsetIndex, timeIndex, batch);
                p += batch.Size;
            }

            return position + records.Length;
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    public void PublishSize(int size) => Volatile.Write(ref _size, size);

    /// <summary>When the segment.ms clock started: the first append (or, after a restart, its first batch's timestamp).</summary>
    public long RollingBaseTimeMs => _rollingBaseTimeMs;

    /// <summary>Whether the next append would overflow an index (a reason to roll). Writer only; indexes are loaded.</summary>
    public bool IsIndexFull => _offsetIndex!.IsFull || _timeIndex!.IsFull;

    /// <summary>The newest timestamp in the segment and the (batch last) offset holding it; (-1, base) when none.</summary>
    public (long Timestamp, long Offset) GetMaxTimestamp()
    {
        if (!Volatile.Read(ref _maxTimestampKnown))
        {
            // Sealed segment not yet loaded: the forced final time index entry written at roll holds the maximum.
            SafeFileHandle? handle = AcquireHandle();
            if (handle is null)
            {
                return (-1, BaseOffset);
            }

            try
            {
                EnsureIndexes(handle);
            }
            finally
            {
                handle.DangerousRelease();
            }
        }

        lock (_resourceLock)
        {
            return (_maxTimestamp, _offsetOfMaxTimestamp);
        }
    }

    /// <summary>
    /// Start of the first batch in [0, <paramref name="end"/>) whose last offset is at least
    /// <paramref name="targetOffset"/>; <paramref name="end"/> when there is none; -1 when the
    /// headers on the way do not parse. The caller holds a lease on <paramref name="handle"/>.
    /// </summary>
    public int FindBatchStart(SafeFileHandle handle, long targetOffset, int end, out BatchHeaderInfo batch)
    {
        OffsetIndex index = EnsureIndexes(handle).Offsets;
        Span<byte> buffer = stackalloc byte[ScanBufferSize];
        long hint = Volatile.Read(ref _readHint);
        if (hint != NoReadHint && BaseOffset + (hint >>> 32) == targetOffset && (int)hint < end)
        {
            // Checked, not trusted: a read racing a truncation may leave a stale hint, and a
            // compacted gap may put the next batch past the offset. Either way, the index path.
            var hinted = new BatchHeaderScanner(handle, buffer, (int)hint, end);
            if (hinted.TryNext(out batch) && batch.BaseOffset <= targetOffset && batch.LastOffset >= targetOffset)
            {
                return batch.Position;
            }
        }

        int start = index.Lookup(targetOffset).Position;
        if (start >= end)
        {
            // The index is ahead of the caller's bound (the writer indexes before it publishes).
            start = 0;
        }

        var scanner = new BatchHeaderScanner(handle, buffer, start, end);
        while (scanner.TryNext(out batch))
        {
            if (batch.LastOffset >= targetOffset)
            {
                return batch.Position;
            }
        }

        batch = default;
        return scanner.Status == BatchScanStatus.Complete ? end : -1;
    }

    /// <summary>
    /// Remembers that a read ended at batch boundary <paramref name="position"/>, where offset
    /// <paramref name="nextOffset"/> is next (the last included batch's last offset + 1).
    /// </summary>
    public void RememberReadEnd(long nextOffset, int position)
    {
        long relative = nextOffset - BaseOffset;
        if (relative is >= 0 and <= int.MaxValue && position >= 0)
        {
            Volatile.Write(ref _readHint, (relative << 32) | (uint)position);
        }
    }

    /// <summary>
    /// The last batch boundary at or before <paramref name="limit"/>, at or after
    /// <paramref name="from"/> (itself a boundary): where a read capped by bytes must end.
    /// <paramref name="nextOffset"/> is the first offset at the boundary as far as the scan saw it
    /// (the base of the batch starting there, else the last offset + 1 of the batch ending there),
    /// or -1 when the scan saw neither.
    /// </summary>
    public int FindBoundaryAtOrBefore(SafeFileHandle handle, int from, int limit, int end, out long nextOffset)
    {
        nextOffset = -1;
        OffsetIndex index = EnsureIndexes(handle).Offsets;
        int start = index.LookupByPosition(limit).Position;
        if (start < from || start >= end)
        {
            start = from;
        }

        Span<byte> buffer = stackalloc byte[ScanBufferSize];
        var scanner = new BatchHeaderScanner(handle, buffer, start, end);
        int boundary = start;
        while (scanner.TryNext(out BatchHeaderInfo batch))
        {
            if (batch.End > limit)
            {
                // The batch that starts at the boundary: its base is the offset after it (no gap).
                nextOffset = batch.BaseOffset;
                break;
            }

            boundary = batch.End;
            nextOffset = batch.LastOffset + 1;
        }

        return boundary;
    }

    /// <summary>
    /// First offset at or after a batch whose max timestamp reaches <paramref name="timestamp"/>:
    /// the time index narrows the start, then headers are scanned. Returns the matching batch, or
    /// false when no batch in [0, <paramref name="end"/>) qualifies.
    /// </summary>
    public bool FindBatchByTimestamp(SafeFileHandle handle, long timestamp, int end, out BatchHeaderInfo batch)
    {
        (OffsetIndex offsets, TimeIndex times) = EnsureIndexes(handle);
        long fromOffset = times.LookupBelow(timestamp).Offset;
        int start = offsets.Lookup(fromOffset).Position;
        if (start >= end)
        {
            start = 0;
        }

        Span<byte> buffer = stackalloc byte[ScanBufferSize];
        var scanner = new BatchHeaderScanner(handle, buffer, start, end);
        while (scanner.TryNext(out batch))
        {
            if (batch.MaxTimestamp >= timestamp)
            {
                return true;
            }
        }

        batch = default;
        return false;
    }

    /// <summary>
    /// Prepares the newest segment at load: indexes loaded (or rebuilt) and completed by scanning
    /// the batches after the last index entry, the max timestamp and segment.ms base known. Returns
    /// the offset after the last batch (-1 when empty) and whether the tail scanned cleanly.
    /// </summary>
    public (long NextOffset, BatchScanStatus Status) LoadAsActive(long nowMs)
    {
        SafeFileHandle handle = AcquireHandle() ?? throw new StorageException($"Segment {LogPath} cannot be opened.");
        try
        {
            _active = true;
            (OffsetIndex offsets, TimeIndex times) = EnsureIndexes(handle);
            int end = _size;
            (_, int start) = offsets.LastEntry;
            Span<byte> buffer = stackalloc byte[ScanBufferSize];
            var scanner = new BatchHeaderScanner(handle, buffer, start, end);
            long nextOffset = -1;
            bool first = true;
            _bytesSinceLastIndexEntry = start == 0 ? 0 : -1;
            lock (_resourceLock)
            {
                while (scanner.TryNext(out BatchHeaderInfo batch))
                {
                    if (first && start > 0)
                    {
                        // The batch at the last entry is already indexed: restart the byte count after it.
                        _bytesSinceLastIndexEntry = batch.Size;
                        first = false;
                        nextOffset = batch.LastOffset + 1;
                        continue;
                    }

                    first = false;
                    IndexBatch(offsets, times, batch);
                    nextOffset = batch.LastOffset + 1;
                }
            }

            if (_bytesSinceLastIndexEntry < 0)
            {
                _bytesSinceLastIndexEntry = 0;
            }

            _rollingBaseTimeMs = nowMs;
            if (end > 0)
            {
                Span<byte> header = stackalloc byte[RecordBatch.HeaderSize];
                if (BatchHeaderScanner.ReadFully(handle, header, 0) == RecordBatch.HeaderSize)
                {
                    long firstTimestamp = BatchHeaderInfo.Read(header, 0).MaxTimestamp;
                    _rollingBaseTimeMs = firstTimestamp >= 0 ? firstTimestamp : nowMs;
                }
            }

            return (nextOffset, scanner.Status);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Reads every batch (size, magic, CRC-32C, offsets growing and within int32 of the base),
    /// rebuilds both indexes from them, and cuts the file at the first batch that fails. Used on
    /// unclean start-up from the recovery point on. Writer only (nobody reads during load).
    /// </summary>
    public SegmentRecoveryResult Recover()
    {
        SafeFileHandle handle = AcquireHandle() ?? throw new StorageException($"Segment {LogPath} cannot be opened.");
        try
        {
            var offsets = new OffsetIndex(BaseOffset, _config.MaxOffsetIndexEntries);
            var times = new TimeIndex(BaseOffset, _config.MaxTimeIndexEntries);
            lock (_resourceLock)
            {
                _offsetIndex = offsets;
                _timeIndex = times;
                _bytesSinceLastIndexEntry = 0;
                _maxTimestamp = -1;
                _offsetOfMaxTimestamp = BaseOffset;
                _maxTimestampKnown = true;
            }

            long fileLength = Math.Min(RandomAccess.GetLength(handle), int.MaxValue);
            long nextOffset = -1;
            RecordBatchStatus failure;
            int validBytes;
            using (SegmentBatchReader reader = SegmentBatchReader.Open(this, 0, (int)fileLength)
                ?? throw new StorageException($"Segment {LogPath} cannot be opened."))
            {
                while (true)
                {
                    validBytes = reader.Position;
                    if (!reader.TryRead(out ReadOnlyMemory<byte> bytes, out failure))
                    {
                        break; // the end, or a torn or corrupt batch: cut there
                    }

                    var batch = BatchHeaderInfo.Read(bytes.Span, validBytes);
                    if (batch.BaseOffset < BaseOffset
                        || batch.LastOffset < batch.BaseOffset
                        || batch.BaseOffset < nextOffset
                        || batch.LastOffset - BaseOffset > int.MaxValue)
                    {
                        failure = RecordBatchStatus.InvalidRecordCount;
                        break;
                    }

                    IndexBatch(offsets, times, batch);
                    nextOffset = batch.LastOffset + 1;
                }
            }

            bool truncated = validBytes < fileLength;
            if (truncated)
            {
                RandomAccess.SetLength(handle, validBytes);
            }

            Volatile.Write(ref _size, validBytes);
            TrustContents();
            return new SegmentRecoveryResult(validBytes, nextOffset, truncated, truncated ? failure : RecordBatchStatus.Valid, fileLength - validBytes);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Cuts the segment at the batch holding <paramref name="offset"/> (or the first after it) and
    /// fixes the indexes. Returns the first offset removed, or null when nothing was at or past
    /// the offset. Writer only.
    /// </summary>
    public long? TruncateTo(long offset)
    {
        SafeFileHandle handle = AcquireHandle() ?? throw new StorageException($"Segment {LogPath} is closed.");
        try
        {
            // Positions past the cut will hold other batches once appends resume.
            Volatile.Write(ref _readHint, NoReadHint);
            (OffsetIndex offsets, TimeIndex times) = EnsureIndexes(handle);
            int end = _size;
            int cut = FindBatchStart(handle, offset, end, out BatchHeaderInfo removed);
            if (cut < 0)
            {
                throw new StorageException($"Segment {LogPath} has an unreadable batch header before offset {offset}.");
            }

            if (cut >= end)
            {
                return null;
            }

            // Lowered before the cut, so a read that finds its range gone sees why (CheckBeforeServing).
            ForgetUncheckedFrom(cut);
            RandomAccess.SetLength(handle, cut);
            lock (_resourceLock)
            {
                offsets.TruncateToPosition(cut);
                times.TruncateToOffset(removed.BaseOffset);
                (_maxTimestamp, _offsetOfMaxTimestamp) = times.LastEntry;
                (_, int lastEntryPosition) = offsets.LastEntry;
                _bytesSinceLastIndexEntry = cut - lastEntryPosition;

                // Batches after the last kept entry may hold a newer timestamp than the time index says.
                Span<byte> buffer = stackalloc byte[ScanBufferSize];
                var scanner = new BatchHeaderScanner(handle, buffer, lastEntryPosition, cut);
                while (scanner.TryNext(out BatchHeaderInfo batch))
                {
                    if (batch.MaxTimestamp > _maxTimestamp)
                    {
                        _maxTimestamp = batch.MaxTimestamp;
                        _offsetOfMaxTimestamp = batch.LastOffset;
                    }
                }
            }

            Volatile.Write(ref _size, cut);
            if (cut == 0)
            {
                _rollingBaseTimeMs = -1;
            }

            return Math.Min(offset, removed.BaseOffset);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Makes this the active segment again (after truncation into it): indexes resident. Writer only.</summary>
    public void Reactivate()
    {
        SafeFileHandle handle = AcquireHandle() ?? throw new StorageException($"Segment {LogPath} is closed.");
        try
        {
            _active = true;
            EnsureIndexes(handle);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Turns the active segment into a sealed one: a final time index entry with the segment's
    /// maximum (so retention and max-timestamp lookups read it from the file), and the indexes
    /// written out and dropped from memory; their storage is returned for the next active segment.
    /// fsync comes later, from the flush that follows a roll. Writer only.
    /// </summary>
    public IndexStorage Seal()
    {
        lock (_resourceLock)
        {
            _active = false;
            _timeIndex?.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp, force: true);
        }

        if (!SaveIndexes(fsync: false))
        {
            // The files may lack entries (disk full): this segment keeps its indexes in memory.
            return default;
        }

        lock (_resourceLock)
        {
            OffsetIndex? offsets = _offsetIndex;
            TimeIndex? times = _timeIndex;
            if (offsets is null || times is null || _renamedForDeletion || _closed)
            {
                return default;
            }

            // Saved: reads load the files from now on, as after a restart or an idle release, and
            // the memory goes to the next active segment instead of becoming garbage.
            _offsetIndex = null;
            _timeIndex = null;
            _indexSyncPending = true;
            return new IndexStorage(offsets.Retire(), times.Retire());
        }
    }

    /// <summary>
    /// Writes loaded indexes to their files (skipped for files renamed for deletion). Returns false
    /// when the disk is full: indexes are derived data (the in-memory ones stay right, the next save
    /// writes what is missing, and a load rebuilds a file that fails its check), so a full disk
    /// must not fail the append, roll or close that saves them. Other I/O errors throw.
    /// </summary>
    public bool SaveIndexes(bool fsync)
    {
        lock (_resourceLock)
        {
            if (_renamedForDeletion || _closed)
            {
                return true;
            }

            try
            {
                _offsetIndex?.Save(_indexPath, fsync);
                _timeIndex?.Save(_timeIndexPath, fsync);
                if (fsync && _indexSyncPending)
                {
                    SyncIndexFiles();
                }

                return true;
            }
            catch (IOException e) when (OutOfSpace.IsCause(e))
            {
                return false;
            }
        }
    }

    /// <summary>fsyncs the .log file.</summary>
    public void FlushLog()
    {
        SafeFileHandle? handle = AcquireHandle();
        if (handle is null)
        {
            return;
        }

        try
        {
            RandomAccess.FlushToDisk(handle);
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Closes the handle and forgets the indexes of a sealed segment no one is using; both come
    /// back on the next read. Reads in flight keep their lease and finish normally.
    /// </summary>
    public void ReleaseIdleResources(bool keepIndexes)
    {
        lock (_resourceLock)
        {
            if (!keepIndexes)
            {
                _offsetIndex = null;
                _timeIndex = null;
            }

            SafeFileHandle? handle = _handle;
            _handle = null;
            handle?.Dispose();
        }
    }

    /// <summary>
    /// Renames the files to <c>*.deleted</c>: the segment has left the log but readers that found
    /// it a moment ago may still read through their handle until it is deleted for good.
    /// </summary>
    public void RenameForDeletion()
    {
        lock (_resourceLock)
        {
            _renamedForDeletion = true;
            _logPath = RenameIfExists(_logPath);
            _indexPath = RenameIfExists(_indexPath);
            _timeIndexPath = RenameIfExists(_timeIndexPath);
        }
    }

    /// <summary>Closes the handle for good; reads after this return nothing.</summary>
    public void Close()
    {
        lock (_resourceLock)
        {
            _closed = true;
            SafeFileHandle? handle = _handle;
            _handle = null;
            handle?.Dispose();
        }
    }

    /// <summary>Closes the segment and deletes its files.</summary>
    public void DeleteFiles()
    {
        Close();
        lock (_resourceLock)
        {
            File.Delete(_logPath);
            File.Delete(_indexPath);
            File.Delete(_timeIndexPath);
        }
    }

    /// <summary>fsyncs the index files Seal saved and dropped (those not loaded again since; loaded ones were synced by their Save).</summary>
    private void SyncIndexFiles()
    {
        if (_offsetIndex is null)
        {
            SyncFile(_indexPath);
        }

        if (_timeIndex is null)
        {
            SyncFile(_timeIndexPath);
        }

        _indexSyncPending = false;
    }

    private static void SyncFile(string path)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.FlushToDisk(file);
        }
        catch (FileNotFoundException)
        {
            // Nothing to sync: the segment was deleted meanwhile, or never had the file.
        }
    }

    private static string RenameIfExists(string path)
    {
        string target = path + LogFileNames.DeletedSuffix;
        try
        {
            File.Move(path, target, overwrite: true);
        }
        catch (FileNotFoundException)
        {
            // Index files are written lazily; a segment may never have had one.
        }

        return target;
    }

    /// <summary>Kafka's rule: an entry for a batch (its last offset at its start) once more than index.interval.bytes went by.</summary>
    private void IndexBatch(OffsetIndex offsets, TimeIndex times, in BatchHeaderInfo batch)
    {
        if (batch.MaxTimestamp > _maxTimestamp)
        {
            _maxTimestamp = batch.MaxTimestamp;
            _offsetOfMaxTimestamp = batch.LastOffset;
        }

        if (_bytesSinceLastIndexEntry > _config.IndexIntervalBytes && !offsets.IsFull)
        {
            offsets.Append(batch.LastOffset, batch.Position);
            times.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp);
            _bytesSinceLastIndexEntry = 0;
        }

        _bytesSinceLastIndexEntry += batch.Size;
    }

    /// <summary>
    /// The indexes, loading them on first use: from the files if they pass the sanity check,
    /// otherwise rebuilt from the batch headers (and written back unless the segment is leaving).
    /// </summary>
    private (OffsetIndex Offsets, TimeIndex Times) EnsureIndexes(SafeFileHandle handle)
    {
        OffsetIndex? offsets = Volatile.Read(ref _offsetIndex);
        TimeIndex? times = Volatile.Read(ref _timeIndex);
        if (offsets is not null && times is not null)
        {
            return (offsets, times);
        }

        lock (_resourceLock)
        {
            if (_offsetIndex is not null && _timeIndex is not null)
            {
                return (_offsetIndex, _timeIndex);
            }

            int size = _size;
            offsets = OffsetIndex.Load(_indexPath, BaseOffset, _config.MaxOffsetIndexEntries, size);
            times = offsets is null ? null : TimeIndex.Load(_timeIndexPath, BaseOffset, _config.MaxTimeIndexEntries);
            if (times is not null && times.Count == 0 && !_active && size > 0)
            {
                // A sealed segment's time index ends with its maximum (Seal's final entry), so an
                // empty one was cut short (killed between sizing and writing it, or lost before its
                // fsync); trusted, the segment would look timeless and time retention delete it.
                times = null;
            }

            if (offsets is not null && times is not null)
            {
                (_maxTimestamp, _offsetOfMaxTimestamp) = times.LastEntry;
            }
            else
            {
                offsets = new OffsetIndex(BaseOffset, _config.MaxOffsetIndexEntries);
                times = new TimeIndex(BaseOffset, _config.MaxTimeIndexEntries);
                _bytesSinceLastIndexEntry = 0;
                _maxTimestamp = -1;
                _offsetOfMaxTimestamp = BaseOffset;
                Span<byte> buffer = stackalloc byte[ScanBufferSize];
                var scanner = new BatchHeaderScanner(handle, buffer, 0, size);
                while (scanner.TryNext(out BatchHeaderInfo batch))
                {
                    IndexBatch(offsets, times, batch);
                }

                if (!_active)
                {
                    // What Seal wrote before the index was lost: the segment's maximum as the last
                    // entry. Without it a reload of this file would see an older (or no) maximum and
                    // time-based retention would delete the segment early.
                    times.MaybeAppend(_maxTimestamp, _offsetOfMaxTimestamp, force: true);
                }

                if (!_renamedForDeletion && !_closed)
                {
                    offsets.Save(_indexPath, fsync: false);
                    times.Save(_timeIndexPath, fsync: false);
                }
            }

            _offsetIndex = offsets;
            _timeIndex = times;
            Volatile.Write(ref _maxTimestampKnown, true);
            return (offsets, times);
        }
    }
}
