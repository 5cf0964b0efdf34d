using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Groups;
using Samsa.Broker.Tests.Handlers;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Groups;

/// <summary>
/// A group coordinator over real local broker parts (store, logs, controller) with a manual clock
/// that the test moves and then runs the coordinator's timers. The offsets topic has few
/// partitions so it is created and loaded quickly.
/// </summary>
internal sealed class GroupTestBed : IAsyncDisposable
{
    public const int SessionTimeoutMs = 10_000;
    public const int RebalanceTimeoutMs = 30_000;
    public const int InitialDelayMs = 3000;

    private GroupTestBed(LocalBrokerParts parts, ManualClock clock, GroupCoordinator coordinator)
    {
        Parts = parts;
        Clock = clock;
        Coordinator = coordinator;
    }

    public LocalBrokerParts Parts { get; }

    public ManualClock Clock { get; }

    public GroupCoordinator Coordinator { get; private set; }

    public static GroupCoordinatorOptions Options => new()
    {
        MinSessionTimeoutMs = 6000,
        MaxSessionTimeoutMs = 60_000,
        InitialRebalanceDelayMs = InitialDelayMs,
        MaxSize = 10,
        OffsetsTopicNumPartitions = 3,
        OffsetsTopicReplicationFactor = 3,
        OffsetsRetentionMs = 60 * 60 * 1000,
        OffsetsRetentionCheckIntervalMs = long.MaxValue,
    };

    public static async Task<GroupTestBed> StartAsync()
    {
        LocalBrokerParts parts = await LocalBrokerParts.StartAsync();
        var clock = new ManualClock();
        var coordinator = new GroupCoordinator(Options, parts.Partitions, parts.Metadata, parts.Controller, clock, NullLogger.Instance);
        var bed = new GroupTestBed(parts, clock, coordinator);
        CoordinatorLookup lookup = await coordinator.FindCoordinatorAsync("any", LocalBrokerParts.Listener, CancellationToken.None);
        Assert.Equal(ErrorCode.None, lookup.Error);
        await bed.WaitUntilLoadedAsync();
        return bed;
    }

    /// <summary>Waits until every offsets partition is loaded (a describe stops answering COORDINATOR_LOAD_IN_PROGRESS).</summary>
    public async Task WaitUntilLoadedAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int p = 0; p < Options.OffsetsTopicNumPartitions; p++)
        {
            string probe = GroupFor(p);
            while (Coordinator.DescribeGroup(probe).ErrorCode != (short)ErrorCode.None)
            {
                await Task.Delay(5, timeout.Token);
            }
        }
    }

    /// <summary>A group id that maps to offsets partition <paramref name="partition"/>.</summary>
    public static string GroupFor(int partition)
    {
        for (int i = 0; ; i++)
        {
            string id = "probe-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (OffsetsTopic.PartitionFor(id, Options.OffsetsTopicNumPartitions) == partition)
            {
                return id;
            }
        }
    }

    /// <summary>Replaces the coordinator by a fresh one that loads every offsets partition from the log (a coordinator move or restart).</summary>
    public async Task RestartCoordinatorAsync()
    {
        await Coordinator.DisposeAsync();
        Coordinator = new GroupCoordinator(Options, Parts.Partitions, Parts.Metadata, Parts.Controller, Clock, NullLogger.Instance);
        for (int p = 0; p < Options.OffsetsTopicNumPartitions; p++)
        {
            Coordinator.OnElection(p, 1);
        }

        await WaitUntilLoadedAsync();
    }

    public void Advance(int milliseconds)
    {
        Clock.Advance(TimeSpan.FromMilliseconds(milliseconds));
        Coordinator.RunTimers();
    }

    /// <summary>
    /// Ends the first rebalance of a group that got more than one joiner during its initial
    /// delay: the delay, then the one extension the later joiners earned.
    /// </summary>
    public void FinishInitialRebalance()
    {
        Advance(InitialDelayMs);
        Advance(InitialDelayMs);
    }

    public static byte[] Subscription(params string[] topics)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(1);
        new ConsumerProtocolSubscription { Topics = [.. topics] }.Write(ref writer, 1);
        return buffer.ToArray();
    }

    public static JoinGroupRequestData Join(string group, string memberId = "", string? instanceId = null, string protocol = "range", byte[]? metadata = null, int sessionTimeoutMs = SessionTimeoutMs) => new()
    {
        GroupId = group,
        MemberId = memberId,
        GroupInstanceId = instanceId,
        SessionTimeoutMs = sessionTimeoutMs,
        RebalanceTimeoutMs = RebalanceTimeoutMs,
        ProtocolType = "consumer",
        Protocols = [new JoinGroupRequestData.JoinGroupRequestProtocol { Name = protocol, Metadata = metadata ?? Subscription("t") }],
    };

    public Task<JoinGroupResponseData> JoinAsync(JoinGroupRequestData request) =>
        Coordinator.JoinGroupAsync(request, "client", "/127.0.0.1", requireKnownMemberId: true, supportSkippingAssignment: true);

    /// <summary>The two-step join of a dynamic member: MEMBER_ID_REQUIRED, then the join with that id (still parked).</summary>
    public async Task<Task<JoinGroupResponseData>> JoinNewDynamicAsync(string group, byte[]? metadata = null)
    {
        JoinGroupResponseData first = await JoinAsync(Join(group, metadata: metadata));
        Assert.Equal((short)ErrorCode.MemberIdRequired, first.ErrorCode);
        Assert.StartsWith("client-", first.MemberId, StringComparison.Ordinal);
        return JoinAsync(Join(group, first.MemberId, metadata: metadata));
    }

    public Task<SyncGroupResponseData> SyncAsync(string group, string memberId, int generation, params (string MemberId, byte[] Assignment)[] assignments)
    {
        var request = new SyncGroupRequestData { GroupId = group, MemberId = memberId, GenerationId = generation };
        foreach ((string id, byte[] assignment) in assignments)
        {
            request.Assignments.Add(new SyncGroupRequestData.SyncGroupRequestAssignment { MemberId = id, Assignment = assignment });
        }

        return Coordinator.SyncGroupAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        await Coordinator.DisposeAsync();
        await Parts.DisposeAsync();
    }
}
