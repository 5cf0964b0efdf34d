namespace Samsa.Broker.Replication;

/// <summary>
/// Where a partition leader hands its ISR proposals. The submitter sends them to the controller
/// and reports the answer back through <see cref="Partitions.Partition.CompleteIsrChange"/>; it
/// must not call back into the partition before <see cref="Submit"/> returns.
/// </summary>
internal interface IIsrChangeSubmitter
{
    void Submit(IsrChangeProposal proposal);
}
