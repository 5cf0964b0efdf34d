using Samsa.Broker.Groups;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Storage;

namespace Samsa.Broker.Tests.Groups;

public sealed class GroupCoordinatorTests
{
    private static readonly byte[] AssignmentA = [1, 2, 3];
    private static readonly byte[] AssignmentB = [4, 5];

    [Theory]
    [InlineData("", 0)]
    [InlineData("a", 97)]
    [InlineData("hello", 99162322)]
    [InlineData("polygenelubricants", int.MinValue)]
    public void Java_string_hash_codes_match(string value, int expected) =>
        Assert.Equal(expected, OffsetsTopic.JavaHashCode(value));

    [Fact]
    public void Partition_for_maps_the_minimum_hash_to_zero()
    {
        Assert.Equal(0, OffsetsTopic.PartitionFor("polygenelubricants", 50));
        Assert.Equal(99162322 % 50, OffsetsTopic.PartitionFor("hello", 50));
    }

    [Fact]
    public async Task First_member_waits_out_the_initial_delay_then_leads_generation_one()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        Task<JoinGroupResponseData> join = await bed.JoinNewDynamicAsync("g1");
        Assert.False(join.IsCompleted);
        Assert.Equal(nameof(GroupState.PreparingRebalance), bed.Coordinator.DescribeGroup("g1").GroupState);

        bed.Advance(GroupTestBed.InitialDelayMs - 1);
        Assert.False(join.IsCompleted);
        bed.Advance(1);
        JoinGroupResponseData joined = await join;
        Assert.Equal((short)ErrorCode.None, joined.ErrorCode);
        Assert.Equal(1, joined.GenerationId);
        Assert.Equal(joined.MemberId, joined.Leader);
        Assert.Equal("range", joined.ProtocolName);
        Assert.Single(joined.Members);
        Assert.Equal(nameof(GroupState.CompletingRebalance), bed.Coordinator.DescribeGroup("g1").GroupState);

        SyncGroupResponseData synced = await bed.SyncAsync("g1", joined.MemberId, 1, (joined.MemberId, AssignmentA));
        Assert.Equal((short)ErrorCode.None, synced.ErrorCode);
        Assert.Equal(AssignmentA, synced.Assignment.ToArray());
        DescribeGroupsResponseData.DescribedGroup described = bed.Coordinator.DescribeGroup("g1");
        Assert.Equal(nameof(GroupState.Stable), described.GroupState);
        Assert.Equal(AssignmentA, Assert.Single(described.Members).MemberAssignment.ToArray());
    }

    [Fact]
    public async Task Initial_delay_is_extended_by_each_new_joiner()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        Task<JoinGroupResponseData> first = await bed.JoinNewDynamicAsync("g");
        bed.Advance(GroupTestBed.InitialDelayMs - 100);
        Task<JoinGroupResponseData> second = await bed.JoinNewDynamicAsync("g");
        bed.Advance(100);
        Assert.False(first.IsCompleted); // a joiner arrived during the delay: one more delay
        bed.Advance(GroupTestBed.InitialDelayMs);
        JoinGroupResponseData a = await first;
        JoinGroupResponseData b = await second;
        Assert.Equal(1, a.GenerationId);
        Assert.Equal(1, b.GenerationId);
        Assert.Equal(a.Leader, b.Leader);
        Assert.Equal(2, (a.MemberId == a.Leader ? a : b).Members.Count);
        Assert.Empty((a.MemberId == a.Leader ? b : a).Members);
    }

    [Fact]
    public async Task A_new_member_rebalances_a_stable_group_and_followers_wait_for_the_leaders_assignment()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");

        Task<JoinGroupResponseData> newcomer = await bed.JoinNewDynamicAsync("g");
        Assert.Equal(ErrorCode.RebalanceInProgress, bed.Coordinator.Heartbeat("g", leader, null, generation));
        Assert.False(newcomer.IsCompleted);

        JoinGroupResponseData leaderJoin = await bed.JoinAsync(GroupTestBed.Join("g", leader));
        JoinGroupResponseData followerJoin = await newcomer;
        Assert.Equal(generation + 1, leaderJoin.GenerationId);
        Assert.Equal(leader, leaderJoin.Leader);
        Assert.Equal(2, leaderJoin.Members.Count);

        Task<SyncGroupResponseData> followerSync = bed.SyncAsync("g", followerJoin.MemberId, followerJoin.GenerationId);
        Assert.False(followerSync.IsCompleted);
        Assert.Equal(ErrorCode.None, bed.Coordinator.Heartbeat("g", followerJoin.MemberId, null, followerJoin.GenerationId));
        SyncGroupResponseData leaderSync = await bed.SyncAsync("g", leader, leaderJoin.GenerationId, (leader, AssignmentA), (followerJoin.MemberId, AssignmentB));
        Assert.Equal(AssignmentA, leaderSync.Assignment.ToArray());
        Assert.Equal(AssignmentB, (await followerSync).Assignment.ToArray());
    }

    [Fact]
    public async Task An_expired_session_removes_the_member_and_the_rest_rebalance()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string a, string b, int generation) = await StableTwoMembersAsync(bed, "g");

        // a keeps heartbeating, b goes silent.
        bed.Advance(GroupTestBed.SessionTimeoutMs / 2);
        Assert.Equal(ErrorCode.None, bed.Coordinator.Heartbeat("g", a, null, generation));
        Assert.Equal(nameof(GroupState.Stable), bed.Coordinator.DescribeGroup("g").GroupState);
        bed.Advance(GroupTestBed.SessionTimeoutMs / 2);

        Assert.Equal(ErrorCode.UnknownMemberId, bed.Coordinator.Heartbeat("g", b, null, generation));
        Assert.Equal(ErrorCode.RebalanceInProgress, bed.Coordinator.Heartbeat("g", a, null, generation));
        JoinGroupResponseData rejoin = await bed.JoinAsync(GroupTestBed.Join("g", a));
        Assert.Equal(generation + 1, rejoin.GenerationId);
        Assert.Single(rejoin.Members);
    }

    [Fact]
    public async Task Members_that_do_not_rejoin_within_the_rebalance_timeout_are_removed()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string a, string b, int generation) = await StableTwoMembersAsync(bed, "g");
        Task<JoinGroupResponseData> rejoin = bed.JoinAsync(GroupTestBed.Join("g", a, metadata: GroupTestBed.Subscription("t", "u")));
        Assert.False(rejoin.IsCompleted);
        for (int elapsed = 0; elapsed < GroupTestBed.RebalanceTimeoutMs; elapsed += 5000)
        {
            // b heartbeats (it is alive) but never rejoins.
            Assert.Equal(ErrorCode.RebalanceInProgress, bed.Coordinator.Heartbeat("g", b, null, generation));
            bed.Advance(5000);
        }

        JoinGroupResponseData joined = await rejoin;
        Assert.Equal(generation + 1, joined.GenerationId);
        Assert.Equal(a, Assert.Single(joined.Members).MemberId);
    }

    [Fact]
    public async Task Leave_group_rebalances_and_the_last_leaver_empties_the_group()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string a, string b, int generation) = await StableTwoMembersAsync(bed, "g");
        (ErrorCode error, List<LeaveGroupResponseData.MemberResponse> members) = bed.Coordinator.LeaveGroup("g", [new LeaveGroupRequestData.MemberIdentity { MemberId = b }, new LeaveGroupRequestData.MemberIdentity { MemberId = "nobody" }]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal((short)ErrorCode.None, members[0].ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, members[1].ErrorCode);
        Assert.Equal(nameof(GroupState.PreparingRebalance), bed.Coordinator.DescribeGroup("g").GroupState);

        bed.Coordinator.LeaveGroup("g", [new LeaveGroupRequestData.MemberIdentity { MemberId = a }]);
        Assert.Equal(nameof(GroupState.Empty), bed.Coordinator.DescribeGroup("g").GroupState);
        _ = generation;
    }

    [Fact]
    public async Task Static_member_restart_gets_its_assignment_back_without_a_rebalance()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        Task<JoinGroupResponseData> joinA = bed.JoinAsync(GroupTestBed.Join("s", instanceId: "instance-a"));
        Task<JoinGroupResponseData> joinB = bed.JoinAsync(GroupTestBed.Join("s", instanceId: "instance-b"));
        bed.FinishInitialRebalance();
        JoinGroupResponseData a = await joinA;
        JoinGroupResponseData b = await joinB;
        Assert.StartsWith("instance-a-", a.MemberId, StringComparison.Ordinal);
        string leader = a.Leader;
        JoinGroupResponseData follower = leader == a.MemberId ? b : a;
        Task<SyncGroupResponseData> followerSync = bed.SyncAsync("s", follower.MemberId, 1);
        await bed.SyncAsync("s", leader, 1, (a.MemberId, AssignmentA), (b.MemberId, AssignmentB));
        await followerSync;

        // instance-b restarts: a new JoinGroup without member id, same protocols.
        JoinGroupResponseData restarted = await bed.JoinAsync(GroupTestBed.Join("s", instanceId: "instance-b"));
        Assert.Equal((short)ErrorCode.None, restarted.ErrorCode);
        Assert.NotEqual(b.MemberId, restarted.MemberId);
        Assert.Equal(1, restarted.GenerationId);
        Assert.Equal(nameof(GroupState.Stable), bed.Coordinator.DescribeGroup("s").GroupState);
        SyncGroupResponseData again = await bed.SyncAsync("s", restarted.MemberId, 1);
        Assert.Equal(AssignmentB, again.Assignment.ToArray());
        Assert.Equal(ErrorCode.FencedInstanceId, bed.Coordinator.Heartbeat("s", b.MemberId, "instance-b", 1));
        Assert.Equal(ErrorCode.None, bed.Coordinator.Heartbeat("s", a.MemberId, "instance-a", 1));
    }

    [Fact]
    public async Task Bad_join_and_sync_input_gets_kafkas_codes_and_leaves_the_group_healthy()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");

        Assert.Equal((short)ErrorCode.InvalidSessionTimeout, (await bed.JoinAsync(GroupTestBed.Join("g", sessionTimeoutMs: 10))).ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidGroupId, (await bed.JoinAsync(GroupTestBed.Join(string.Empty))).ErrorCode);
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, (await bed.JoinAsync(GroupTestBed.Join("g", protocol: "other"))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await bed.JoinAsync(GroupTestBed.Join("g", "nobody"))).ErrorCode);
        Assert.Equal((short)ErrorCode.IllegalGeneration, (await bed.SyncAsync("g", leader, generation + 5)).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await bed.SyncAsync("g", "nobody", generation)).ErrorCode);
        Assert.Equal(ErrorCode.IllegalGeneration, bed.Coordinator.Heartbeat("g", leader, null, generation - 1));
        Assert.Equal(ErrorCode.UnknownMemberId, bed.Coordinator.Heartbeat("g", "nobody", null, generation));
        Assert.Equal(ErrorCode.UnknownMemberId, bed.Coordinator.Heartbeat("nogroup", leader, null, generation));
        Assert.Equal(ErrorCode.IllegalGeneration, await bed.Coordinator.CommitOffsetsAsync("g", generation + 1, leader, null, [Offset("t", 0, 5)]));
        Assert.Equal(ErrorCode.UnknownMemberId, await bed.Coordinator.CommitOffsetsAsync("g", -1, string.Empty, null, [Offset("t", 0, 5)]));

        Assert.Equal(ErrorCode.None, bed.Coordinator.Heartbeat("g", leader, null, generation));
        Assert.Equal(nameof(GroupState.Stable), bed.Coordinator.DescribeGroup("g").GroupState);
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", generation, leader, null, [Offset("t", 0, 5)]));
    }

    [Fact]
    public async Task Commits_during_completing_rebalance_are_refused()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        Task<JoinGroupResponseData> join = await bed.JoinNewDynamicAsync("g");
        bed.Advance(GroupTestBed.InitialDelayMs);
        JoinGroupResponseData joined = await join;
        Assert.Equal(ErrorCode.RebalanceInProgress, await bed.Coordinator.CommitOffsetsAsync("g", joined.GenerationId, joined.MemberId, null, [Offset("t", 0, 1)]));
    }

    [Fact]
    public async Task Committed_offsets_and_group_state_are_rebuilt_from_the_log()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", generation, leader, null, [Offset("t", 0, 5), Offset("t", 1, 7)]));
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", generation, leader, null, [Offset("t", 0, 9)]));
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("standalone", -1, string.Empty, null, [Offset("t", 2, 3)]));

        await bed.RestartCoordinatorAsync();

        (ErrorCode error, List<(TopicPartition Partition, CommittedOffset? Offset)> offsets) = bed.Coordinator.FetchOffsets("g", null);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(9, offsets.Single(o => o.Partition.Partition == 0).Offset!.Offset);
        Assert.Equal(7, offsets.Single(o => o.Partition.Partition == 1).Offset!.Offset);
        Assert.Equal(3, bed.Coordinator.FetchOffsets("standalone", [new TopicPartition("t", 2)]).Offsets[0].Offset!.Offset);
        Assert.Null(bed.Coordinator.FetchOffsets("standalone", [new TopicPartition("t", 0)]).Offsets[0].Offset);

        DescribeGroupsResponseData.DescribedGroup described = bed.Coordinator.DescribeGroup("g");
        Assert.Equal(nameof(GroupState.Stable), described.GroupState);
        Assert.Equal(AssignmentA, Assert.Single(described.Members).MemberAssignment.ToArray());
        Assert.Equal(ErrorCode.None, bed.Coordinator.Heartbeat("g", leader, null, generation));
    }

    [Fact]
    public async Task Unloaded_partitions_answer_not_coordinator()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");
        bed.Coordinator.OnResignation(bed.Coordinator.PartitionFor("g"));
        Assert.Equal(ErrorCode.NotCoordinator, bed.Coordinator.Heartbeat("g", leader, null, generation));
        Assert.Equal((short)ErrorCode.NotCoordinator, bed.Coordinator.DescribeGroup("g").ErrorCode);
    }

    [Fact]
    public async Task Offsets_of_empty_groups_expire_after_the_retention_and_the_group_goes()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("old", -1, string.Empty, null, [Offset("t", 0, 3)]));
        bed.Clock.Advance(TimeSpan.FromMilliseconds(GroupTestBed.Options.OffsetsRetentionMs - 1));
        bed.Coordinator.ExpireOffsets();
        Assert.NotNull(bed.Coordinator.FetchOffsets("old", [new TopicPartition("t", 0)]).Offsets[0].Offset);

        bed.Clock.Advance(TimeSpan.FromMilliseconds(1));
        bed.Coordinator.ExpireOffsets();
        Assert.Null(bed.Coordinator.FetchOffsets("old", [new TopicPartition("t", 0)]).Offsets[0].Offset);
        Assert.Equal(nameof(GroupState.Dead), bed.Coordinator.DescribeGroup("old").GroupState);

        await bed.RestartCoordinatorAsync();
        Assert.Null(bed.Coordinator.FetchOffsets("old", [new TopicPartition("t", 0)]).Offsets[0].Offset);
    }

    [Fact]
    public async Task Delete_groups_refuses_groups_with_members_and_deletes_empty_ones()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", generation, leader, null, [Offset("t", 0, 5)]));

        List<(string GroupId, ErrorCode Error)> results = await bed.Coordinator.DeleteGroupsAsync(["g", "missing"]);
        Assert.Equal(ErrorCode.NonEmptyGroup, results[0].Error);
        Assert.Equal(ErrorCode.GroupIdNotFound, results[1].Error);

        bed.Coordinator.LeaveGroup("g", [new LeaveGroupRequestData.MemberIdentity { MemberId = leader }]);
        results = await bed.Coordinator.DeleteGroupsAsync(["g"]);
        Assert.Equal(ErrorCode.None, results[0].Error);
        Assert.Null(bed.Coordinator.FetchOffsets("g", [new TopicPartition("t", 0)]).Offsets[0].Offset);

        await bed.RestartCoordinatorAsync();
        Assert.Null(bed.Coordinator.FetchOffsets("g", [new TopicPartition("t", 0)]).Offsets[0].Offset);
        Assert.Equal(nameof(GroupState.Dead), bed.Coordinator.DescribeGroup("g").GroupState);
    }

    [Fact]
    public async Task Offset_delete_keeps_offsets_of_subscribed_topics()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        (string leader, int generation) = await StableSingleMemberAsync(bed, "g");
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", generation, leader, null, [Offset("t", 0, 5), Offset("other", 0, 6)]));
        (ErrorCode error, List<(TopicPartition Partition, ErrorCode Error)> partitions) = await bed.Coordinator.DeleteOffsetsAsync("g", [new TopicPartition("t", 0), new TopicPartition("other", 0)]);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(ErrorCode.GroupSubscribedToTopic, partitions[0].Error);
        Assert.Equal(ErrorCode.None, partitions[1].Error);
        Assert.NotNull(bed.Coordinator.FetchOffsets("g", [new TopicPartition("t", 0)]).Offsets[0].Offset);
        Assert.Null(bed.Coordinator.FetchOffsets("g", [new TopicPartition("other", 0)]).Offsets[0].Offset);
        Assert.Equal(ErrorCode.GroupIdNotFound, (await bed.Coordinator.DeleteOffsetsAsync("missing", [new TopicPartition("t", 0)])).Error);
    }

    [Fact]
    public async Task List_groups_filters_by_state()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        await StableSingleMemberAsync(bed, "stable");
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("empty", -1, string.Empty, null, [Offset("t", 0, 1)]));
        (ErrorCode error, List<ListGroupsResponseData.ListedGroup> all) = bed.Coordinator.ListGroups([], []);
        Assert.Equal(ErrorCode.None, error);
        Assert.Contains(all, g => g.GroupId == "stable" && g.GroupState == "Stable" && g.ProtocolType == "consumer");
        Assert.Contains(all, g => g.GroupId == "empty" && g.GroupState == "Empty");
        List<ListGroupsResponseData.ListedGroup> stableOnly = bed.Coordinator.ListGroups(["stable"], []).Groups;
        Assert.Equal("stable", Assert.Single(stableOnly).GroupId);
    }

    [Fact]
    public async Task Group_max_size_is_enforced()
    {
        await using GroupTestBed bed = await GroupTestBed.StartAsync();
        var joins = new List<Task<JoinGroupResponseData>>();
        for (int i = 0; i < GroupTestBed.Options.MaxSize; i++)
        {
            joins.Add(await bed.JoinNewDynamicAsync("big"));
        }

        JoinGroupResponseData refused = await bed.JoinAsync(GroupTestBed.Join("big", instanceId: "one-too-many"));
        Assert.Equal((short)ErrorCode.GroupMaxSizeReached, refused.ErrorCode);
        bed.FinishInitialRebalance();
        foreach (Task<JoinGroupResponseData> join in joins)
        {
            Assert.Equal((short)ErrorCode.None, (await join).ErrorCode);
        }
    }

    private static (TopicPartition, CommittedOffset) Offset(string topic, int partition, long offset) =>
        (new TopicPartition(topic, partition), new CommittedOffset(offset, -1, string.Empty, 0, -1));

    private static async Task<(string Leader, int Generation)> StableSingleMemberAsync(GroupTestBed bed, string group)
    {
        Task<JoinGroupResponseData> join = await bed.JoinNewDynamicAsync(group);
        bed.Advance(GroupTestBed.InitialDelayMs);
        JoinGroupResponseData joined = await join;
        SyncGroupResponseData synced = await bed.SyncAsync(group, joined.MemberId, joined.GenerationId, (joined.MemberId, AssignmentA));
        Assert.Equal((short)ErrorCode.None, synced.ErrorCode);
        return (joined.MemberId, joined.GenerationId);
    }

    private static async Task<(string A, string B, int Generation)> StableTwoMembersAsync(GroupTestBed bed, string group)
    {
        Task<JoinGroupResponseData> first = await bed.JoinNewDynamicAsync(group);
        Task<JoinGroupResponseData> second = await bed.JoinNewDynamicAsync(group);
        bed.FinishInitialRebalance();
        JoinGroupResponseData a = await first;
        JoinGroupResponseData b = await second;
        Assert.Equal(a.MemberId, a.Leader);
        Task<SyncGroupResponseData> followerSync = bed.SyncAsync(group, b.MemberId, b.GenerationId);
        await bed.SyncAsync(group, a.MemberId, a.GenerationId, (a.MemberId, AssignmentA), (b.MemberId, AssignmentB));
        Assert.Equal(AssignmentB, (await followerSync).Assignment.ToArray());
        return (a.MemberId, b.MemberId, a.GenerationId);
    }
}
