namespace Samsa.Storage.Producers;

/// <summary>
/// The idempotent producers of one partition log (Kafka's ProducerStateManager, without
/// transactions): per producer id the current epoch and the last five batches, so a retried batch
/// is recognised and answered with its original offsets, and a gap or a zombie epoch is refused.
/// <para>
/// Owned by its <see cref="Log.PartitionLog"/> and used only under the log's append lock: checked
/// before offsets are assigned, updated after the bytes are written, rebuilt on open from the
/// latest <c>&lt;offset&gt;.snapshot</c> plus the batches after it. Not thread-safe by itself.
/// </para>
/// </summary>
internal sealed class ProducerStateTable
{
    /// <summary>As Kafka: a producer has at most five requests in flight, so five retained batches cover every retry.</summary>
    public const int RetainedBatches = 5;

    private readonly Dictionary<long, ProducerStateEntry> _producers = [];

    public int Count => _producers.Count;

    public Dictionary<long, ProducerStateEntry>.ValueCollection Entries => _producers.Values;

    public bool TryGet(long producerId, out ProducerStateEntry entry) => _producers.TryGetValue(producerId, out entry!);

    /// <summary>
    /// Kafka's rules for a client batch against the recorded state: a retry of a retained batch is
    /// a duplicate; an older epoch is refused; a new epoch must start at sequence 0; the same epoch
    /// must continue from the last sequence (int.MaxValue is followed by 0). A producer with no
    /// recorded state (new, or its state was lost to retention) may start at any sequence, as
    /// Kafka accepts since KIP-360 instead of answering UNKNOWN_PRODUCER_ID.
    /// </summary>
    public ProducerCheckResult Check(long producerId, short epoch, int firstSequence, int lastSequence)
    {
        if (!_producers.TryGetValue(producerId, out ProducerStateEntry? entry))
        {
            return ProducerCheckResult.Append;
        }

        if (entry.TryFindBatch(epoch, firstSequence, lastSequence, out ProducerBatch duplicate))
        {
            return new ProducerCheckResult(ProducerAppendCheck.Duplicate, duplicate.FirstOffset, duplicate.LastOffset, duplicate.Timestamp);
        }

        return CheckFollowing(entry.Epoch, entry.LastSequence, epoch, firstSequence);
    }

    /// <summary>
    /// The epoch and sequence rules against a known predecessor (the recorded state, or an earlier
    /// batch of the same producer in the same request). <paramref name="lastSequence"/> is -1 when
    /// the epoch has no data yet.
    /// </summary>
    public static ProducerCheckResult CheckFollowing(short lastEpoch, int lastSequence, short epoch, int firstSequence)
    {
        if (epoch < lastEpoch)
        {
            return ProducerCheckResult.StaleEpoch;
        }

        if (epoch != lastEpoch)
        {
            // A bumped epoch restarts the sequence space; an entry without an epoch (-1) takes any.
            return firstSequence == 0 || lastEpoch < 0 ? ProducerCheckResult.Append : ProducerCheckResult.OutOfOrder;
        }

        return ProducerSequence.Follows(lastSequence, firstSequence) ? ProducerCheckResult.Append : ProducerCheckResult.OutOfOrder;
    }

    /// <summary>Records a batch that is now in the log (appended as leader or follower, or replayed on load).</summary>
    public void Update(long producerId, short epoch, int firstSequence, int lastSequence, long firstOffset, long lastOffset, long timestamp)
    {
        GetOrAdd(producerId, epoch).AddBatch(epoch, new ProducerBatch(firstSequence, lastSequence, firstOffset, lastOffset, timestamp));
    }

    /// <summary>A control batch (transaction marker) moves the epoch without data.</summary>
    public void UpdateEpoch(long producerId, short epoch, long timestamp) => GetOrAdd(producerId, epoch).SetEpoch(epoch, timestamp);

    public void Clear() => _producers.Clear();

    private ProducerStateEntry GetOrAdd(long producerId, short epoch)
    {
        if (!_producers.TryGetValue(producerId, out ProducerStateEntry? entry))
        {
            entry = new ProducerStateEntry(producerId, epoch);
            _producers.Add(producerId, entry);
        }

        return entry;
    }
}
