using Samsa.Broker.Groups;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Groups;

/// <summary>
/// The KIP-848 consumer group protocol at the coordinator: epochs, the revoke-before-assign
/// reconciliation, assignors, leaving, session expiry, errors, offsets and persistence.
/// </summary>
public sealed class ConsumerGroupHeartbeatTests
{
    private const int RebalanceTimeoutMs = 30_000;

    [Fact]
    public async Task First_member_gets_epoch_one_and_every_partition()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 6);
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");
        Assert.Equal((short)ErrorCode.None, joined.ErrorCode);
        Assert.Equal("a", joined.MemberId);
        Assert.Equal(1, joined.MemberEpoch);
        Assert.Equal(5000, joined.HeartbeatIntervalMs);
        Assert.Equal([0, 1, 2, 3, 4, 5], Partitions(joined));

        ConsumerGroupDescribeResponseData.DescribedGroup described = bed.Coordinator.DescribeConsumerGroup("g");
        Assert.Equal((short)ErrorCode.None, described.ErrorCode);
        Assert.Equal("Stable", described.GroupState);
        Assert.Equal(1, described.GroupEpoch);
        Assert.Equal(1, described.AssignmentEpoch);
        Assert.Equal("uniform", described.AssignorName);
        ConsumerGroupDescribeResponseData.Member member = Assert.Single(described.Members);
        Assert.Equal("t", Assert.Single(member.Assignment.TopicPartitions).TopicName);
        Assert.Equal(6, member.TargetAssignment.TopicPartitions[0].Partitions.Count);
    }

    [Fact]
    public async Task A_partition_moves_to_a_new_member_only_after_its_owner_revoked_it()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 6);
        Uuid topic = TopicId(bed, "t");
        ConsumerGroupHeartbeatResponseData a1 = await JoinAsync(bed, "g", "a", "t");
        Assert.Equal(6, Partitions(a1).Count);

        // b joins: group epoch 2, but every partition is still a's, so b gets none yet.
        ConsumerGroupHeartbeatResponseData b1 = await JoinAsync(bed, "g", "b", "t");
        Assert.Equal(2, b1.MemberEpoch);
        Assert.Empty(Partitions(b1));
        Assert.Equal("Reconciling", bed.Coordinator.DescribeConsumerGroup("g").GroupState);

        // a learns it must give up half: it stays at epoch 1 until it reports them gone.
        ConsumerGroupHeartbeatResponseData a2 = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, 0, 1, 2, 3, 4, 5));
        Assert.Equal(1, a2.MemberEpoch);
        List<int> kept = Partitions(a2);
        Assert.Equal(3, kept.Count);

        // b still gets nothing while a holds them.
        ConsumerGroupHeartbeatResponseData b2 = await HeartbeatAsync(bed, "g", "b", 2, Owned(topic));
        Assert.True(b2.Assignment is null || b2.Assignment.TopicPartitions.Count == 0);

        // a revoked: it moves to epoch 2; then b receives exactly the other three.
        ConsumerGroupHeartbeatResponseData a3 = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, [.. kept]));
        Assert.Equal((short)ErrorCode.None, a3.ErrorCode);
        Assert.Equal(2, a3.MemberEpoch);
        ConsumerGroupHeartbeatResponseData b3 = await HeartbeatAsync(bed, "g", "b", 2, Owned(topic));
        List<int> taken = Partitions(b3);
        Assert.Equal(3, taken.Count);
        Assert.Empty(taken.Intersect(kept));
        Assert.Equal("Stable", bed.Coordinator.DescribeConsumerGroup("g").GroupState);
    }

    [Fact]
    public async Task Three_members_share_the_partitions_without_overlap()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 7);
        var owners = await ConvergeAsync(bed, "g", "t", ["a", "b", "c"]);
        var all = owners.Values.SelectMany(p => p).ToList();
        Assert.Equal(7, all.Count);
        Assert.Equal(7, all.Distinct().Count());
        Assert.All(owners.Values, p => Assert.InRange(p.Count, 2, 3));
    }

    [Fact]
    public async Task A_member_that_leaves_frees_its_partitions_for_the_others()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 4);
        Dictionary<string, List<int>> owners = await ConvergeAsync(bed, "g", "t", ["a", "b"]);
        int epoch = bed.Coordinator.DescribeConsumerGroup("g").Members.Single(m => m.MemberId == "a").MemberEpoch;

        ConsumerGroupHeartbeatResponseData left = await bed.Coordinator.ConsumerGroupHeartbeatAsync(
            new ConsumerGroupHeartbeatRequestData { GroupId = "g", MemberId = "a", MemberEpoch = -1 }, "client", "/127.0.0.1", 1);
        Assert.Equal((short)ErrorCode.None, left.ErrorCode);
        Assert.Equal(-1, left.MemberEpoch);

        int bEpoch = bed.Coordinator.DescribeConsumerGroup("g").Members.Single().MemberEpoch;
        ConsumerGroupHeartbeatResponseData b = await HeartbeatAsync(bed, "g", "b", bEpoch, Owned(TopicId(bed, "t"), [.. owners["b"]]));
        Assert.Equal([0, 1, 2, 3], Partitions(b));
        Assert.True(b.MemberEpoch > epoch);

        // The member that left is gone.
        ConsumerGroupHeartbeatResponseData ghost = await HeartbeatAsync(bed, "g", "a", epoch, Owned(TopicId(bed, "t")));
        Assert.Equal((short)ErrorCode.UnknownMemberId, ghost.ErrorCode);
    }

    [Fact]
    public async Task A_silent_member_is_removed_after_the_session_timeout()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 4);
        Dictionary<string, List<int>> owners = await ConvergeAsync(bed, "g", "t", ["a", "b"]);
        Uuid topic = TopicId(bed, "t");

        // b keeps heartbeating; a goes silent.
        for (int i = 0; i < 9; i++)
        {
            bed.Advance(5000);
            int bEpoch = bed.Coordinator.DescribeConsumerGroup("g").Members.Single(m => m.MemberId == "b").MemberEpoch;
            ConsumerGroupHeartbeatResponseData hb = await HeartbeatAsync(bed, "g", "b", bEpoch, Owned(topic, [.. owners["b"]]));
            Assert.Equal((short)ErrorCode.None, hb.ErrorCode);
            if (hb.Assignment is not null)
            {
                owners["b"] = Partitions(hb);
            }
        }

        bed.Advance(1000);
        Assert.Equal("b", Assert.Single(bed.Coordinator.DescribeConsumerGroup("g").Members).MemberId);
        int epoch = bed.Coordinator.DescribeConsumerGroup("g").Members[0].MemberEpoch;
        ConsumerGroupHeartbeatResponseData b = await HeartbeatAsync(bed, "g", "b", epoch, Owned(topic, [.. owners["b"]]));
        if (b.Assignment is not null)
        {
            owners["b"] = Partitions(b);
        }

        Assert.Equal([0, 1, 2, 3], owners["b"]);
    }

    [Fact]
    public async Task A_member_that_does_not_revoke_within_its_rebalance_timeout_is_fenced()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 2);
        Uuid topic = TopicId(bed, "t");
        await JoinAsync(bed, "g", "a", "t");
        await JoinAsync(bed, "g", "b", "t");
        ConsumerGroupHeartbeatResponseData a = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, 0, 1));
        Assert.Single(Partitions(a)); // one to revoke

        // a keeps heartbeating but never lets go; b keeps the session alive too.
        for (int elapsed = 0; elapsed < RebalanceTimeoutMs; elapsed += 5000)
        {
            await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, 0, 1));
            await HeartbeatAsync(bed, "g", "b", 2, Owned(topic));
            bed.Advance(5000);
        }

        Assert.DoesNotContain(bed.Coordinator.DescribeConsumerGroup("g").Members, m => m.MemberId == "a");
        ConsumerGroupHeartbeatResponseData b = await HeartbeatAsync(bed, "g", "b", 2, Owned(topic));
        Assert.Equal([0, 1], Partitions(b));
    }

    [Fact]
    public async Task Wrong_epochs_unknown_members_and_bad_requests_get_kafkas_errors()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 2);
        Uuid topic = TopicId(bed, "t");
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");

        Assert.Equal((short)ErrorCode.FencedMemberEpoch, (await HeartbeatAsync(bed, "g", "a", joined.MemberEpoch + 1, Owned(topic, 0, 1))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(bed, "g", "nobody", 1, Owned(topic))).ErrorCode);
        Assert.Equal((short)ErrorCode.UnknownMemberId, (await HeartbeatAsync(bed, "other", "a", 1, Owned(topic))).ErrorCode);

        ConsumerGroupHeartbeatRequestData badAssignor = JoinRequest("g", "c", "t");
        badAssignor.ServerAssignor = "sticky";
        Assert.Equal((short)ErrorCode.UnsupportedAssignor, (await SendAsync(bed, badAssignor)).ErrorCode);

        ConsumerGroupHeartbeatRequestData noTimeout = JoinRequest("g", "c", "t");
        noTimeout.RebalanceTimeoutMs = -1;
        Assert.Equal((short)ErrorCode.InvalidRequest, (await SendAsync(bed, noTimeout)).ErrorCode);

        ConsumerGroupHeartbeatRequestData badRegex = JoinRequest("g", "c", "t");
        badRegex.SubscribedTopicNames = null;
        badRegex.SubscribedTopicRegex = "t(";
        Assert.Equal((short)ErrorCode.InvalidRegularExpression, (await SendAsync(bed, badRegex)).ErrorCode);

        // The group is still healthy.
        ConsumerGroupHeartbeatResponseData again = await HeartbeatAsync(bed, "g", "a", joined.MemberEpoch, Owned(topic, 0, 1));
        Assert.Equal((short)ErrorCode.None, again.ErrorCode);
    }

    [Fact]
    public async Task A_lost_response_lets_the_member_retry_with_its_previous_epoch()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 2);
        Uuid topic = TopicId(bed, "t");
        await JoinAsync(bed, "g", "a", "t");
        await JoinAsync(bed, "g", "b", "t");
        ConsumerGroupHeartbeatResponseData a = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, 0, 1));
        List<int> kept = Partitions(a);
        ConsumerGroupHeartbeatResponseData bumped = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, [.. kept]));
        Assert.Equal(2, bumped.MemberEpoch);

        // That response was lost: the member retries with epoch 1 and a subset of its partitions.
        ConsumerGroupHeartbeatResponseData retried = await HeartbeatAsync(bed, "g", "a", 1, Owned(topic, [.. kept]));
        Assert.Equal((short)ErrorCode.None, retried.ErrorCode);
        Assert.Equal(2, retried.MemberEpoch);
    }

    [Fact]
    public async Task A_static_member_that_rejoins_within_its_session_gets_its_partitions_back_without_a_rebalance()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 4);
        Uuid topic = TopicId(bed, "t");
        Dictionary<string, List<int>> owners = await ConvergeAsync(bed, "g", "t", ["a", "b"], instanceOf: id => "instance-" + id);
        int groupEpoch = bed.Coordinator.DescribeConsumerGroup("g").GroupEpoch;
        int aEpoch = bed.Coordinator.DescribeConsumerGroup("g").Members.Single(m => m.MemberId == "a").MemberEpoch;

        ConsumerGroupHeartbeatResponseData left = await SendAsync(bed, new ConsumerGroupHeartbeatRequestData { GroupId = "g", MemberId = "a", InstanceId = "instance-a", MemberEpoch = -2 });
        Assert.Equal((short)ErrorCode.None, left.ErrorCode);
        Assert.Equal(-2, left.MemberEpoch);

        // Another process with the same instance id may not take it while it is held...
        ConsumerGroupHeartbeatRequestData sameInstanceWhileHeld = JoinRequest("g", "b2", "t");
        sameInstanceWhileHeld.InstanceId = "instance-b";
        Assert.Equal((short)ErrorCode.UnreleasedInstanceId, (await SendAsync(bed, sameInstanceWhileHeld)).ErrorCode);

        // ...but the restarted "a" (new member id) gets its old partitions at once.
        ConsumerGroupHeartbeatRequestData rejoin = JoinRequest("g", "a-restarted", "t");
        rejoin.InstanceId = "instance-a";
        ConsumerGroupHeartbeatResponseData back = await SendAsync(bed, rejoin);
        Assert.Equal((short)ErrorCode.None, back.ErrorCode);
        Assert.Equal(owners["a"], Partitions(back));
        Assert.Equal(aEpoch, back.MemberEpoch);
        Assert.Equal(groupEpoch, bed.Coordinator.DescribeConsumerGroup("g").GroupEpoch);
        _ = topic;
    }

    [Fact]
    public async Task The_range_assignor_gives_each_member_a_contiguous_range()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 5);
        Dictionary<string, List<int>> owners = await ConvergeAsync(bed, "g", "t", ["a", "b"], assignor: "range");
        Assert.Equal([0, 1, 2], owners["a"]);
        Assert.Equal([3, 4], owners["b"]);
        Assert.Equal("range", bed.Coordinator.DescribeConsumerGroup("g").AssignorName);
    }

    [Fact]
    public async Task A_regex_subscription_takes_matching_topics()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("orders-eu", 2);
        await bed.Parts.CreateTopicAsync("orders-us", 2);
        await bed.Parts.CreateTopicAsync("payments", 2);
        ConsumerGroupHeartbeatRequestData request = JoinRequest("g", "a", "unused");
        request.SubscribedTopicNames = null;
        request.SubscribedTopicRegex = "orders-.*";
        ConsumerGroupHeartbeatResponseData joined = await SendAsync(bed, request);
        Assert.Equal((short)ErrorCode.None, joined.ErrorCode);
        Assert.Equal(2, joined.Assignment!.TopicPartitions.Count);
        Assert.Equal(4, joined.Assignment.TopicPartitions.Sum(t => t.Partitions.Count));
    }

    [Fact]
    public async Task The_group_survives_a_coordinator_restart()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 4);
        Uuid topic = TopicId(bed, "t");
        Dictionary<string, List<int>> owners = await ConvergeAsync(bed, "g", "t", ["a", "b"]);
        ConsumerGroupDescribeResponseData.DescribedGroup before = bed.Coordinator.DescribeConsumerGroup("g");

        await bed.RestartCoordinatorAsync();

        ConsumerGroupDescribeResponseData.DescribedGroup after = bed.Coordinator.DescribeConsumerGroup("g");
        Assert.Equal((short)ErrorCode.None, after.ErrorCode);
        Assert.Equal(before.GroupEpoch, after.GroupEpoch);
        Assert.Equal(before.AssignmentEpoch, after.AssignmentEpoch);
        Assert.Equal("Stable", after.GroupState);
        foreach (ConsumerGroupDescribeResponseData.Member member in after.Members)
        {
            Assert.Equal(owners[member.MemberId], member.Assignment.TopicPartitions.Single().Partitions);
            ConsumerGroupHeartbeatResponseData hb = await HeartbeatAsync(bed, "g", member.MemberId, member.MemberEpoch, Owned(topic, [.. owners[member.MemberId]]));
            Assert.Equal((short)ErrorCode.None, hb.ErrorCode);
            Assert.Equal(member.MemberEpoch, hb.MemberEpoch);
        }
    }

    [Fact]
    public async Task Offset_commits_and_fetches_check_the_member_epoch()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 1);
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");
        var offsets = new List<(Storage.TopicPartition, CommittedOffset)> { (new Storage.TopicPartition("t", 0), new CommittedOffset(42, -1, string.Empty, 0, -1)) };

        Assert.Equal(ErrorCode.StaleMemberEpoch, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch + 1, "a", null, offsets, 9));
        Assert.Equal(ErrorCode.UnknownMemberId, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch, "zzz", null, offsets, 9));
        Assert.Equal(ErrorCode.UnknownMemberId, await bed.Coordinator.CommitOffsetsAsync("g", -1, string.Empty, null, offsets, 9));
        Assert.Equal(ErrorCode.UnsupportedVersion, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch, "a", null, offsets, 8));
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch, "a", null, offsets, 9));

        Assert.Equal(ErrorCode.StaleMemberEpoch, bed.Coordinator.FetchOffsets("g", null, "a", joined.MemberEpoch + 1).Error);
        (ErrorCode error, var fetched) = bed.Coordinator.FetchOffsets("g", null, "a", joined.MemberEpoch);
        Assert.Equal(ErrorCode.None, error);
        Assert.Equal(42, Assert.Single(fetched).Offset!.Offset);
        Assert.Equal(ErrorCode.None, bed.Coordinator.FetchOffsets("g", null).Error); // admin fetch

        await bed.RestartCoordinatorAsync();
        Assert.Equal(42, Assert.Single(bed.Coordinator.FetchOffsets("g", null).Offsets).Offset!.Offset);
    }

    [Fact]
    public async Task Classic_and_consumer_protocols_do_not_mix_in_one_group()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 1);
        await JoinAsync(bed, "modern", "a", "t");
        JoinGroupResponseData classicJoin = await bed.JoinAsync(GroupTestBed.Join("modern"));
        Assert.Equal((short)ErrorCode.InconsistentGroupProtocol, classicJoin.ErrorCode);

        Task<JoinGroupResponseData> classicMember = await bed.JoinNewDynamicAsync("classic");
        ConsumerGroupHeartbeatResponseData modernJoin = await JoinAsync(bed, "classic", "b", "t");
        Assert.Equal((short)ErrorCode.GroupIdNotFound, modernJoin.ErrorCode);
        bed.Advance(GroupTestBed.InitialDelayMs);
        Assert.Equal((short)ErrorCode.None, (await classicMember).ErrorCode);

        // The admin APIs tell the types apart.
        Assert.Equal((short)ErrorCode.GroupIdNotFound, bed.Coordinator.DescribeGroup("modern").ErrorCode);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, bed.Coordinator.DescribeConsumerGroup("classic").ErrorCode);
        (_, List<ListGroupsResponseData.ListedGroup> consumers) = bed.Coordinator.ListGroups([], ["consumer"]);
        ListGroupsResponseData.ListedGroup listed = Assert.Single(consumers);
        Assert.Equal("modern", listed.GroupId);
        Assert.Equal("consumer", listed.GroupType);
        Assert.Equal("Stable", listed.GroupState);
        (_, List<ListGroupsResponseData.ListedGroup> classics) = bed.Coordinator.ListGroups([], ["classic"]);
        Assert.Equal("classic", Assert.Single(classics).GroupId);
    }

    [Fact]
    public async Task An_empty_consumer_group_can_be_deleted_with_its_offsets()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 1);
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");
        var offsets = new List<(Storage.TopicPartition, CommittedOffset)> { (new Storage.TopicPartition("t", 0), new CommittedOffset(7, -1, string.Empty, 0, -1)) };
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch, "a", null, offsets, 9));
        Assert.Equal(ErrorCode.NonEmptyGroup, Assert.Single(await bed.Coordinator.DeleteGroupsAsync(["g"])).Error);

        await SendAsync(bed, new ConsumerGroupHeartbeatRequestData { GroupId = "g", MemberId = "a", MemberEpoch = -1 });
        Assert.Equal("Empty", bed.Coordinator.DescribeConsumerGroup("g").GroupState);
        Assert.Equal(ErrorCode.None, Assert.Single(await bed.Coordinator.DeleteGroupsAsync(["g"])).Error);

        await bed.RestartCoordinatorAsync();
        Assert.Equal((short)ErrorCode.GroupIdNotFound, bed.Coordinator.DescribeConsumerGroup("g").ErrorCode);
        Assert.Empty(bed.Coordinator.FetchOffsets("g", null).Offsets);
    }

    [Fact]
    public async Task A_subscription_change_or_new_partitions_bump_the_group_epoch_and_reassign()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 2);
        await bed.Parts.CreateTopicAsync("u", 1);
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");
        Assert.Equal(1, joined.MemberEpoch);

        // Subscribing to one more topic: new group epoch, and its partition arrives.
        ConsumerGroupHeartbeatResponseData resubscribed = await SendAsync(bed, new ConsumerGroupHeartbeatRequestData
        {
            GroupId = "g",
            MemberId = "a",
            MemberEpoch = 1,
            SubscribedTopicNames = ["t", "u"],
            TopicPartitions = Owned(TopicId(bed, "t"), 0, 1),
        });
        Assert.Equal(2, resubscribed.MemberEpoch);
        Assert.Equal(3, resubscribed.Assignment!.TopicPartitions.Sum(t => t.Partitions.Count));

        // Partitions added to a subscribed topic: the next heartbeat notices and assigns them.
        (ErrorCode error, _) = await bed.Parts.Controller.CreatePartitionsAsync("t", 4, null, false, CancellationToken.None);
        Assert.Equal(ErrorCode.None, error);
        await Polling.UntilAsync(() => bed.Parts.Metadata.Current.Topic("t")!.Partitions.Length >= 4, TimeSpan.FromSeconds(10), "the metadata has the new partitions");

        ConsumerGroupHeartbeatResponseData grown = await HeartbeatAsync(bed, "g", "a", 2, [.. resubscribed.Assignment.TopicPartitions.Select(t => new ConsumerGroupHeartbeatRequestData.TopicPartitionsEntry { TopicId = t.TopicId, Partitions = t.Partitions })]);
        Assert.Equal(3, grown.MemberEpoch);
        Assert.Equal(5, grown.Assignment!.TopicPartitions.Sum(t => t.Partitions.Count));
    }

    [Fact]
    public async Task Offsets_of_an_empty_consumer_group_expire_with_the_group()
    {
        await using GroupTestBed bed = await StartWithTopicAsync("t", 1);
        ConsumerGroupHeartbeatResponseData joined = await JoinAsync(bed, "g", "a", "t");
        var offsets = new List<(Storage.TopicPartition, CommittedOffset)> { (new Storage.TopicPartition("t", 0), new CommittedOffset(3, -1, string.Empty, bed.Clock.GetUtcNow().ToUnixTimeMilliseconds(), -1)) };
        Assert.Equal(ErrorCode.None, await bed.Coordinator.CommitOffsetsAsync("g", joined.MemberEpoch, "a", null, offsets, 9));

        // While it has a member, retention does not apply.
        bed.Clock.Advance(TimeSpan.FromMilliseconds(GroupTestBed.Options.OffsetsRetentionMs + 1));
        bed.Coordinator.ExpireOffsets();
        Assert.Single(bed.Coordinator.FetchOffsets("g", null).Offsets);

        await SendAsync(bed, new ConsumerGroupHeartbeatRequestData { GroupId = "g", MemberId = "a", MemberEpoch = -1 });
        bed.Clock.Advance(TimeSpan.FromMilliseconds(GroupTestBed.Options.OffsetsRetentionMs + 1));
        bed.Coordinator.ExpireOffsets();
        Assert.Empty(bed.Coordinator.FetchOffsets("g", null).Offsets);
        Assert.Equal((short)ErrorCode.GroupIdNotFound, bed.Coordinator.DescribeConsumerGroup("g").ErrorCode);
    }

    private static async Task<GroupTestBed> StartWithTopicAsync(string topic, int partitions)
    {
        GroupTestBed bed = await GroupTestBed.StartAsync();
        await bed.Parts.CreateTopicAsync(topic, partitions);
        return bed;
    }

    private static Uuid TopicId(GroupTestBed bed, string topic) => bed.Parts.Metadata.Current.Topic(topic)!.TopicId;

    private static ConsumerGroupHeartbeatRequestData JoinRequest(string group, string memberId, string topic) => new()
    {
        GroupId = group,
        MemberId = memberId,
        MemberEpoch = 0,
        RebalanceTimeoutMs = RebalanceTimeoutMs,
        SubscribedTopicNames = [topic],
        TopicPartitions = [],
    };

    private static Task<ConsumerGroupHeartbeatResponseData> SendAsync(GroupTestBed bed, ConsumerGroupHeartbeatRequestData request) =>
        bed.Coordinator.ConsumerGroupHeartbeatAsync(request, "client", "/127.0.0.1", 1);

    private static Task<ConsumerGroupHeartbeatResponseData> JoinAsync(GroupTestBed bed, string group, string memberId, string topic) =>
        SendAsync(bed, JoinRequest(group, memberId, topic));

    private static Task<ConsumerGroupHeartbeatResponseData> HeartbeatAsync(GroupTestBed bed, string group, string memberId, int epoch, List<ConsumerGroupHeartbeatRequestData.TopicPartitionsEntry> owned) =>
        SendAsync(bed, new ConsumerGroupHeartbeatRequestData { GroupId = group, MemberId = memberId, MemberEpoch = epoch, TopicPartitions = owned });

    private static List<ConsumerGroupHeartbeatRequestData.TopicPartitionsEntry> Owned(Uuid topic, params int[] partitions) =>
        partitions.Length == 0 ? [] : [new ConsumerGroupHeartbeatRequestData.TopicPartitionsEntry { TopicId = topic, Partitions = [.. partitions] }];

    private static List<int> Partitions(ConsumerGroupHeartbeatResponseData response) =>
        response.Assignment is null ? [] : [.. response.Assignment.TopicPartitions.SelectMany(t => t.Partitions).Order()];

    /// <summary>
    /// Members join one by one, then all heartbeat (reporting what they own, as clients do) until
    /// the group is Stable; asserts no partition ever has two owners on the way.
    /// </summary>
    private static async Task<Dictionary<string, List<int>>> ConvergeAsync(GroupTestBed bed, string group, string topic, string[] members, string? assignor = null, Func<string, string>? instanceOf = null)
    {
        Uuid topicId = TopicId(bed, topic);
        var owned = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var epochs = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (string member in members)
        {
            ConsumerGroupHeartbeatRequestData join = JoinRequest(group, member, topic);
            join.ServerAssignor = assignor;
            join.InstanceId = instanceOf?.Invoke(member);
            ConsumerGroupHeartbeatResponseData response = await SendAsync(bed, join);
            Assert.Equal((short)ErrorCode.None, response.ErrorCode);
            owned[member] = Partitions(response);
            epochs[member] = response.MemberEpoch;
            AssertNoOverlap(owned);
        }

        for (int round = 0; round < 10 && bed.Coordinator.DescribeConsumerGroup(group).GroupState != "Stable"; round++)
        {
            foreach (string member in members)
            {
                ConsumerGroupHeartbeatResponseData response = await HeartbeatAsync(bed, group, member, epochs[member], Owned(topicId, [.. owned[member]]));
                Assert.Equal((short)ErrorCode.None, response.ErrorCode);
                epochs[member] = response.MemberEpoch;
                if (response.Assignment is not null)
                {
                    owned[member] = Partitions(response);
                }

                AssertNoOverlap(owned);
            }
        }

        Assert.Equal("Stable", bed.Coordinator.DescribeConsumerGroup(group).GroupState);
        return owned;
    }

    private static void AssertNoOverlap(Dictionary<string, List<int>> owned)
    {
        var seen = new HashSet<int>();
        foreach (List<int> partitions in owned.Values)
        {
            foreach (int partition in partitions)
            {
                Assert.True(seen.Add(partition), $"Partition {partition} has two owners.");
            }
        }
    }
}
