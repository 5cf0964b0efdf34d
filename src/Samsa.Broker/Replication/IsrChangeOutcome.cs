namespace Samsa.Broker.Replication;

/// <summary>What a leader did with the controller's answer to its ISR proposal.</summary>
internal enum IsrChangeOutcome
{
    /// <summary>The new ISR and partition epoch are in place (or the answer was stale and ignored).</summary>
    Applied,

    /// <summary>The controller refused it for good; the leader waits for the next LeaderAndIsr.</summary>
    AwaitingLeaderAndIsr,

    /// <summary>The controller did not act on it (OPERATION_NOT_ATTEMPTED, INELIGIBLE_REPLICA); the committed ISR stands.</summary>
    Reverted,

    /// <summary>A transient failure: send the same proposal again.</summary>
    Retry,
}
