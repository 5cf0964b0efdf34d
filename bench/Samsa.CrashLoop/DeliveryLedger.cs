namespace Samsa.CrashLoop;

/// <summary>
/// What one producer instance sent and what its delivery reports said, per partition and sequence
/// number: pending, failed, or acknowledged at an offset. The producer's thread reserves sequence
/// numbers; librdkafka's delivery-report thread settles them; the auditor takes snapshots. One
/// lock guards all three.
/// </summary>
internal sealed class DeliveryLedger
{
    public const long Pending = -1;
    public const long Failed = -2;

    /// <summary>
    /// Reported persisted but with no offset: librdkafka's implicit acknowledgement of a batch whose
    /// response was lost, once a later batch of the same producer succeeded (its debug log:
    /// IMPLICITACK). Must be stored, once; where is unknown.
    /// </summary>
    public const long PersistedWithoutOffset = -3;

    private readonly Lock _lock = new();
    private readonly List<long>[] _offsets;
    private long _acknowledged;
    private long _failed;
    private long _persistedWithoutOffset;

    public DeliveryLedger(int producer, int partitions)
    {
        Producer = producer;
        _offsets = new List<long>[partitions];
        for (int p = 0; p < partitions; p++)
        {
            _offsets[p] = [];
        }
    }

    /// <summary>The producer's number, unique in the run; a replaced producer gets a new number and ledger.</summary>
    public int Producer { get; }

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long FailedCount => Interlocked.Read(ref _failed);

    public long PersistedWithoutOffsetCount => Interlocked.Read(ref _persistedWithoutOffset);

    /// <summary>The next sequence number for <paramref name="partition"/>, recorded as pending.</summary>
    public int Reserve(int partition)
    {
        lock (_lock)
        {
            List<long> offsets = _offsets[partition];
            offsets.Add(Pending);
            return offsets.Count - 1;
        }
    }

    public void Settle(int partition, int sequence, long offset)
    {
        lock (_lock)
        {
            _offsets[partition][sequence] = offset;
        }

        if (offset >= 0)
        {
            Interlocked.Increment(ref _acknowledged);
        }
        else if (offset == PersistedWithoutOffset)
        {
            Interlocked.Increment(ref _persistedWithoutOffset);
        }
        else
        {
            Interlocked.Increment(ref _failed);
        }
    }

    /// <summary>Per partition, the state of every sequence number reserved so far.</summary>
    public long[][] Snapshot()
    {
        lock (_lock)
        {
            var copy = new long[_offsets.Length][];
            for (int p = 0; p < _offsets.Length; p++)
            {
                copy[p] = [.. _offsets[p]];
            }

            return copy;
        }
    }

    public long CountPending()
    {
        lock (_lock)
        {
            long pending = 0;
            foreach (List<long> offsets in _offsets)
            {
                foreach (long offset in offsets)
                {
                    pending += offset == Pending ? 1 : 0;
                }
            }

            return pending;
        }
    }
}
