using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Groups;

/// <summary>
/// One classic consumer group: members, generation, chosen protocol, leader, committed offsets and
/// the deadlines of its delayed join and sync phases (Kafka's GroupMetadata). A plain data holder
/// with the group's own invariants; the coordinator drives its state machine and holds its lock
/// around every read and change.
/// </summary>
internal sealed class ClassicGroup(string groupId, int partition, long nowMs)
{
    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);

    public string GroupId { get; } = groupId;

    /// <summary>The __consumer_offsets partition that holds this group.</summary>
    public int Partition { get; } = partition;

    public GroupState State { get; private set; } = GroupState.Empty;

    /// <summary>When the state last changed (GroupMetadataValue.currentStateTimestamp): offsets of an Empty group expire from it.</summary>
    public long CurrentStateTimestampMs { get; set; } = nowMs;

    public int GenerationId { get; set; }

    public string? ProtocolType { get; set; }

    public string? ProtocolName { get; set; }

    public string? LeaderId { get; set; }

    public IReadOnlyDictionary<string, GroupMember> Members => _members;

    /// <summary>Instance id to member id for static members.</summary>
    public Dictionary<string, string> StaticMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED, not yet rejoined, with their expiry (ms).</summary>
    public Dictionary<string, long> PendingMembers { get; } = new(StringComparer.Ordinal);

    /// <summary>Members of the new generation that have not sent SyncGroup yet.</summary>
    public HashSet<string> PendingSyncMembers { get; } = new(StringComparer.Ordinal);

    public Dictionary<TopicPartition, CommittedOffset> Offsets { get; } = [];

    /// <summary>A member joined while the initial (delayed) rebalance was waiting: the delay is extended.</summary>
    public bool NewMemberAdded { get; set; }

    /// <summary>When the join phase ends at the latest (ms); -1 outside PreparingRebalance.</summary>
    public long JoinDeadlineMs { get; set; } = -1;

    /// <summary>The initial rebalance of an empty group waits out its delay even when everyone joined.</summary>
    public bool IsInitialJoinDelay { get; set; }

    /// <summary>Remaining extension budget of the initial delay (rebalance timeout minus the delays so far).</summary>
    public long InitialJoinRemainingMs { get; set; }

    /// <summary>When members that still have not synced are removed (ms); -1 when no sync is pending.</summary>
    public long SyncDeadlineMs { get; set; } = -1;

    /// <summary>Topics the members subscribe to, from the chosen protocol's metadata; null when unknown (not "consumer").</summary>
    public HashSet<string>? SubscribedTopics { get; set; }

    /// <summary>
    /// The group's consumer-protocol (KIP-848) state when it is a consumer group, else null. A
    /// consumer group has no classic members; this entry then only carries its offsets.
    /// </summary>
    public ConsumerGroup? ConsumerProtocol { get; set; }

    public bool IsLeader(string memberId) => LeaderId == memberId;

    public bool Has(string memberId) => _members.ContainsKey(memberId);

    public GroupMember? Get(string memberId) => _members.GetValueOrDefault(memberId);

    public void TransitionTo(GroupState state, long nowMs)
    {
        State = state;
        CurrentStateTimestampMs = nowMs;
    }

    /// <summary>The largest rebalance timeout of the members: how long a join phase may wait.</summary>
    public int RebalanceTimeoutMs
    {
        get
        {
            int max = 0;
            foreach (GroupMember member in _members.Values)
            {
                max = Math.Max(max, member.RebalanceTimeoutMs);
            }

            return max;
        }
    }

    public int AwaitingJoinCount
    {
        get
        {
            int count = 0;
            foreach (GroupMember member in _members.Values)
            {
                if (member.IsAwaitingJoin)
                {
                    count++;
                }
            }

            return count;
        }
    }

    public bool HasAllMembersJoined => _members.Count == AwaitingJoinCount && PendingMembers.Count == 0;

    public void Add(GroupMember member)
    {
        if (_members.Count == 0)
        {
            ProtocolType = member.ProtocolType;
        }

        _members[member.MemberId] = member;
        LeaderId ??= member.MemberId;
        if (member.GroupInstanceId is string instanceId)
        {
            StaticMembers[instanceId] = member.MemberId;
        }
    }

    public void Remove(string memberId)
    {
        if (!_members.Remove(memberId, out GroupMember? member))
        {
            return;
        }

        PendingSyncMembers.Remove(memberId);
        if (member.GroupInstanceId is string instanceId && StaticMembers.GetValueOrDefault(instanceId) == memberId)
        {
            StaticMembers.Remove(instanceId);
        }

        if (LeaderId == memberId)
        {
            LeaderId = null;
            foreach (string id in _members.Keys)
            {
                LeaderId = id;
                break;
            }
        }
    }

    /// <summary>A static member rejoined under a new member id: the old id is retired, state carried over.</summary>
    public GroupMember ReplaceStaticMember(string oldMemberId, string newMemberId)
    {
        GroupMember member = _members[oldMemberId];
        _members.Remove(oldMemberId);
        PendingSyncMembers.Remove(oldMemberId);
        member.MemberId = newMemberId;
        _members[newMemberId] = member;
        StaticMembers[member.GroupInstanceId!] = newMemberId;
        if (LeaderId == oldMemberId)
        {
            LeaderId = newMemberId;
        }

        return member;
    }

    /// <summary>True when a known instance id is presented with a member id other than its current one.</summary>
    public bool IsStaticMemberFenced(string? groupInstanceId, string memberId) =>
        groupInstanceId is not null
        && StaticMembers.TryGetValue(groupInstanceId, out string? current)
        && current != memberId;

    /// <summary>The protocols every member supports (the candidates of the vote).</summary>
    public HashSet<string> CandidateProtocols()
    {
        HashSet<string>? candidates = null;
        foreach (GroupMember member in _members.Values)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach ((string name, _) in member.Protocols)
            {
                names.Add(name);
            }

            if (candidates is null)
            {
                candidates = names;
            }
            else
            {
                candidates.IntersectWith(names);
            }
        }

        return candidates ?? [];
    }

    /// <summary>Whether a joiner with this protocol type and these protocols can be in the group.</summary>
    public bool SupportsProtocols(string protocolType, List<(string Name, byte[] Metadata)> protocols)
    {
        if (_members.Count == 0)
        {
            return protocolType.Length > 0 && protocols.Count > 0;
        }

        if (protocolType != ProtocolType)
        {
            return false;
        }

        HashSet<string> candidates = CandidateProtocols();
        foreach ((string name, _) in protocols)
        {
            if (candidates.Contains(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Each member votes for its most preferred protocol among those all support; the most votes
    /// wins. Ties go to the protocol the leader (else the first member) prefers, so the choice is
    /// deterministic.
    /// </summary>
    public string SelectProtocol()
    {
        HashSet<string> candidates = CandidateProtocols();
        var votes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (GroupMember member in _members.Values)
        {
            foreach ((string name, _) in member.Protocols)
            {
                if (candidates.Contains(name))
                {
                    votes[name] = votes.GetValueOrDefault(name) + 1;
                    break;
                }
            }
        }

        GroupMember? reference = LeaderId is not null ? Get(LeaderId) : null;
        string? best = null;
        int bestVotes = -1;
        IEnumerable<GroupMember> order = reference is null ? _members.Values : [reference, .. _members.Values];
        foreach (GroupMember member in order)
        {
            foreach ((string name, _) in member.Protocols)
            {
                if (votes.TryGetValue(name, out int count) && count > bestVotes)
                {
                    best = name;
                    bestVotes = count;
                }
            }
        }

        return best ?? throw new InvalidOperationException($"Group {GroupId} has no protocol all members support.");
    }

    /// <summary>Keeps the current leader if it rejoined, else picks any member that did; false when none did.</summary>
    public bool MaybeElectNewJoinedLeader()
    {
        if (LeaderId is null)
        {
            return false;
        }

        if (Get(LeaderId) is { IsAwaitingJoin: true })
        {
            return true;
        }

        foreach (GroupMember member in _members.Values)
        {
            if (member.IsAwaitingJoin)
            {
                LeaderId = member.MemberId;
                return true;
            }
        }

        return false;
    }

    /// <summary>The leader's view in JoinGroup: every member with its metadata for the chosen protocol.</summary>
    public List<JoinGroupResponseData.JoinGroupResponseMember> CurrentMemberMetadata()
    {
        var list = new List<JoinGroupResponseData.JoinGroupResponseMember>(_members.Count);
        foreach (GroupMember member in _members.Values)
        {
            list.Add(new JoinGroupResponseData.JoinGroupResponseMember
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                Metadata = member.MetadataFor(ProtocolName!) ?? [],
            });
        }

        return list;
    }
}
