using Samsa.Protocol.Messages;

namespace Samsa.Broker.Groups;

/// <summary>
/// A member of a classic group as the coordinator tracks it: identity, timeouts, the protocols it
/// offered, its assignment, and the JoinGroup / SyncGroup responses parked for it. Owned by its
/// <see cref="ClassicGroup"/>; read and changed only under the coordinator's lock.
/// </summary>
internal sealed class GroupMember(string memberId, string? groupInstanceId, string clientId, string clientHost, int rebalanceTimeoutMs, int sessionTimeoutMs, string protocolType, List<(string Name, byte[] Metadata)> protocols)
{
    public string MemberId { get; set; } = memberId;

    public string? GroupInstanceId { get; } = groupInstanceId;

    public string ClientId { get; set; } = clientId;

    public string ClientHost { get; set; } = clientHost;

    public int RebalanceTimeoutMs { get; set; } = rebalanceTimeoutMs;

    public int SessionTimeoutMs { get; set; } = sessionTimeoutMs;

    public string ProtocolType { get; } = protocolType;

    /// <summary>Protocol names with their metadata, in the member's order of preference.</summary>
    public List<(string Name, byte[] Metadata)> Protocols { get; set; } = protocols;

    public byte[] Assignment { get; set; } = [];

    /// <summary>Joined in the current rebalance and not yet answered: expires on the long new-member timeout.</summary>
    public bool IsNew { get; set; }

    /// <summary>When the member is considered gone unless it heartbeats (coordinator clock, ms).</summary>
    public long HeartbeatDeadlineMs { get; set; }

    public TaskCompletionSource<JoinGroupResponseData>? AwaitingJoin { get; set; }

    public TaskCompletionSource<SyncGroupResponseData>? AwaitingSync { get; set; }

    public bool IsStatic => GroupInstanceId is not null;

    public bool IsAwaitingJoin => AwaitingJoin is not null;

    public bool IsAwaitingSync => AwaitingSync is not null;

    /// <summary>The metadata this member offered for <paramref name="protocol"/>, or null.</summary>
    public byte[]? MetadataFor(string protocol)
    {
        foreach ((string name, byte[] metadata) in Protocols)
        {
            if (name == protocol)
            {
                return metadata;
            }
        }

        return null;
    }

    /// <summary>True when a rejoin offers exactly the same protocols (names, order and bytes).</summary>
    public bool Matches(List<(string Name, byte[] Metadata)> protocols)
    {
        if (protocols.Count != Protocols.Count)
        {
            return false;
        }

        for (int i = 0; i < protocols.Count; i++)
        {
            if (protocols[i].Name != Protocols[i].Name || !protocols[i].Metadata.AsSpan().SequenceEqual(Protocols[i].Metadata))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A member awaiting a rebalance needs no heartbeat; otherwise its deadline must not have passed.</summary>
    public bool HasSatisfiedHeartbeat(long nowMs) =>
        !IsNew && (IsAwaitingJoin || IsAwaitingSync) || nowMs < HeartbeatDeadlineMs;

    /// <summary>Completes a parked JoinGroup, if any.</summary>
    public void CompleteJoin(JoinGroupResponseData response)
    {
        TaskCompletionSource<JoinGroupResponseData>? waiter = AwaitingJoin;
        AwaitingJoin = null;
        waiter?.TrySetResult(response);
    }

    /// <summary>Completes a parked SyncGroup, if any.</summary>
    public void CompleteSync(SyncGroupResponseData response)
    {
        TaskCompletionSource<SyncGroupResponseData>? waiter = AwaitingSync;
        AwaitingSync = null;
        waiter?.TrySetResult(response);
    }
}
