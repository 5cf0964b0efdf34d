using System.Text.RegularExpressions;

namespace Samsa.Broker.Groups;

/// <summary>
/// One member of a consumer-protocol group (KIP-848): who it is, what it subscribes to, and its
/// reconciliation state (epochs, owned partitions, partitions it must still revoke). Mutated only
/// by the coordinator under its lock.
/// </summary>
internal sealed class ConsumerGroupMember(string memberId)
{
    /// <summary>The epoch a member sends to leave the group.</summary>
    public const int LeaveEpoch = -1;

    /// <summary>The epoch a static member sends to leave temporarily: its assignment is kept for its session timeout.</summary>
    public const int LeaveStaticEpoch = -2;

    public string MemberId { get; } = memberId;

    public string? InstanceId { get; set; }

    public string? RackId { get; set; }

    public string ClientId { get; set; } = string.Empty;

    public string ClientHost { get; set; } = string.Empty;

    public List<string> SubscribedTopicNames { get; set; } = [];

    public string? SubscribedTopicRegex { get; set; }

    /// <summary><see cref="SubscribedTopicRegex"/> compiled (whole-name match); null until first needed.</summary>
    public Regex? CompiledRegex { get; set; }

    public int RebalanceTimeoutMs { get; set; } = -1;

    public string? ServerAssignor { get; set; }

    public int MemberEpoch { get; set; }

    /// <summary>The epoch before the last bump: a member whose response was lost may retry with it.</summary>
    public int PreviousMemberEpoch { get; set; }

    public MemberReconciliationState State { get; set; }

    public HashSet<TopicIdPartition> AssignedPartitions { get; set; } = [];

    public HashSet<TopicIdPartition> PartitionsPendingRevocation { get; set; } = [];

    /// <summary>When the member is removed unless it heartbeats again (ms).</summary>
    public long SessionDeadlineMs { get; set; } = long.MaxValue;

    /// <summary>When the member is fenced unless it has revoked its pending partitions (ms); -1 when none are pending.</summary>
    public long RevocationDeadlineMs { get; set; } = -1;

    /// <summary>A static member that sent epoch -2: it keeps its assignment until its session expires or it rejoins.</summary>
    public bool HasLeftStatically => MemberEpoch == LeaveStaticEpoch;

    /// <summary>Copies everything but the member id (a static member rejoining under a new id).</summary>
    public ConsumerGroupMember CopyAs(string newMemberId) => new(newMemberId)
    {
        InstanceId = InstanceId,
        RackId = RackId,
        ClientId = ClientId,
        ClientHost = ClientHost,
        SubscribedTopicNames = [.. SubscribedTopicNames],
        SubscribedTopicRegex = SubscribedTopicRegex,
        RebalanceTimeoutMs = RebalanceTimeoutMs,
        ServerAssignor = ServerAssignor,
        MemberEpoch = MemberEpoch,
        PreviousMemberEpoch = PreviousMemberEpoch,
        State = State,
        AssignedPartitions = [.. AssignedPartitions],
        PartitionsPendingRevocation = [.. PartitionsPendingRevocation],
    };
}
