namespace Samsa.Storage.Producers;

/// <summary>
/// One producer id's state in a partition: its current epoch and its last
/// <see cref="ProducerStateTable.RetainedBatches"/> batches, oldest first (Kafka's
/// ProducerStateEntry). Owned by a <see cref="ProducerStateTable"/>; changed only under the log's
/// append lock.
/// </summary>
internal sealed class ProducerStateEntry
{
    private readonly ProducerBatch[] _batches = new ProducerBatch[ProducerStateTable.RetainedBatches];
    private int _head;

    public ProducerStateEntry(long producerId, short epoch)
    {
        ProducerId = producerId;
        Epoch = epoch;
    }

    public long ProducerId { get; }

    public short Epoch { get; private set; }

    /// <summary>How many batches are retained (0 after an epoch change with no data yet).</summary>
    public int BatchCount { get; private set; }

    /// <summary>The max timestamp of the newest batch (or marker) of this producer.</summary>
    public long LastTimestamp { get; private set; } = -1;

    /// <summary>The <paramref name="index"/>-th retained batch, oldest first.</summary>
    public ProducerBatch BatchAt(int index) => _batches[(_head + index) % _batches.Length];

    public ProducerBatch LastBatch => BatchAt(BatchCount - 1);

    /// <summary>The last sequence written at the current epoch, or -1 when none is retained.</summary>
    public int LastSequence => BatchCount == 0 ? -1 : LastBatch.LastSequence;

    /// <summary>A new epoch starts a new sequence space: the old epoch's batches can no longer be retried.</summary>
    public void SetEpoch(short epoch, long timestamp)
    {
        if (epoch != Epoch)
        {
            Epoch = epoch;
            BatchCount = 0;
            _head = 0;
        }

        LastTimestamp = Math.Max(LastTimestamp, timestamp);
    }

    public void AddBatch(short epoch, ProducerBatch batch)
    {
        SetEpoch(epoch, batch.Timestamp);
        if (BatchCount == _batches.Length)
        {
            _batches[_head] = batch;
            _head = (_head + 1) % _batches.Length;
        }
        else
        {
            _batches[(_head + BatchCount) % _batches.Length] = batch;
            BatchCount++;
        }

        LastTimestamp = batch.Timestamp;
    }

    /// <summary>The retained batch with exactly this sequence range at this epoch, if any.</summary>
    public bool TryFindBatch(short epoch, int firstSequence, int lastSequence, out ProducerBatch batch)
    {
        if (epoch == Epoch)
        {
            for (int i = 0; i < BatchCount; i++)
            {
                batch = BatchAt(i);
                if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
                {
                    return true;
                }
            }
        }

        batch = default;
        return false;
    }
}
