namespace Samsa.Broker.Replication;

/// <summary>
/// What a partition needs to act as a leader of followers: the clock, replica.lag.time.max.ms and
/// where its ISR proposals go. Standalone brokers (every ISR is the leader alone) use <see cref="Standalone"/>.
/// </summary>
internal sealed record ReplicationContext(TimeProvider Time, long ReplicaLagTimeMaxMs, IIsrChangeSubmitter IsrChanges)
{
    /// <summary>Where a replica created at start-up finds its last high watermark; null starts every replica at its log start.</summary>
    public HighWatermarkCheckpoint? HighWatermarks { get; init; }

    /// <summary>Kafka's replica.lag.time.max.ms default.</summary>
    public const long DefaultReplicaLagTimeMaxMs = 30_000;

    public static ReplicationContext Standalone { get; } = new(TimeProvider.System, DefaultReplicaLagTimeMaxMs, new DiscardingSubmitter());

    /// <summary>With no followers there is never a proposal; one that arrives anyway stays pending.</summary>
    private sealed class DiscardingSubmitter : IIsrChangeSubmitter
    {
        public void Submit(IsrChangeProposal proposal)
        {
        }
    }
}
