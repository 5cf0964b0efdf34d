using Samsa.Coordination.Embedded;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.Embedded;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Persistent_nodes_survive_a_reopen_and_ephemerals_do_not()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/brokers", default, CreateMode.Persistent);
        await f.Store.CreateAsync("/brokers/topics", Bytes("t"), CreateMode.Persistent);
        await f.Store.SetDataAsync("/brokers/topics", Bytes("t2"));
        await f.Store.CreateAsync("/brokers/1", Bytes("me"), CreateMode.Ephemeral);
        ICoordinationStore other = f.Store.OpenSession();
        await other.CreateAsync("/brokers/2", Bytes("other"), CreateMode.EphemeralSequential);
        NodeStat topicsBefore = (await f.Store.ExistsAsync("/brokers/topics"))!.Value;
        long zxidBefore = f.Store.LastZxid;

        await f.ReopenAsync();

        Assert.Equal(["topics"], (await f.Store.GetChildrenAsync("/brokers"))!);
        NodeData topics = (await f.Store.GetDataAsync("/brokers/topics"))!;
        Assert.Equal("t2", Text(topics.Data));
        Assert.Equal(topicsBefore, topics.Stat);
        Assert.True(f.Store.LastZxid >= zxidBefore);

        // Sequence numbers keep counting after the restart.
        string next = await f.Store.CreateAsync("/brokers/s", default, CreateMode.PersistentSequential);
        Assert.Equal("/brokers/s0000000005", next);
        Assert.Equal(0, f.Store.TruncatedBytesOnOpen);
    }

    [Fact]
    public async Task Ephemerals_of_a_crashed_run_are_gone_after_open()
    {
        using Samsa.Testing.TempDirectory directory = new("coordination");
        Samsa.Testing.ManualClock clock = new();
        EmbeddedCoordinationStore crashed = EmbeddedCoordinationStore.Open(directory.Path, clock);
        await crashed.CreateAsync("/controller", default, CreateMode.Ephemeral);
        await crashed.CreateAsync("/keep", default, CreateMode.Persistent);
        crashed.TakeSnapshot();
        await crashed.CreateAsync("/ephemeral-after-snapshot", default, CreateMode.Ephemeral);

        await crashed.AbandonAsync();

        await using EmbeddedCoordinationStore reopened = EmbeddedCoordinationStore.Open(directory.Path, clock);
        Assert.Null(await reopened.ExistsAsync("/controller"));
        Assert.Null(await reopened.ExistsAsync("/ephemeral-after-snapshot"));
        Assert.NotNull(await reopened.ExistsAsync("/keep"));
        await reopened.CreateAsync("/controller", default, CreateMode.Ephemeral);
    }

    [Fact]
    public async Task Snapshots_truncate_the_log_and_reopen_from_snapshot_plus_log()
    {
        await using StoreFixture f = new(transactionsPerSnapshot: 10);
        await f.Store.CreateAsync("/counter", Bytes("0"), CreateMode.Persistent);
        for (int i = 1; i <= 25; i++)
        {
            await f.Store.SetDataAsync("/counter", Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.True(File.Exists(f.Directory.Combine("coordination.snapshot")));
        Assert.True(new FileInfo(f.LogPath).Length < 1024);

        await f.ReopenAsync();

        NodeData counter = (await f.Store.GetDataAsync("/counter"))!;
        Assert.Equal("25", Text(counter.Data));
        Assert.Equal(25, counter.Stat.Version);
    }

    [Fact]
    public async Task Log_records_already_in_the_snapshot_are_skipped()
    {
        using Samsa.Testing.TempDirectory directory = new("coordination");
        Samsa.Testing.ManualClock clock = new();
        await using (EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(directory.Path, clock))
        {
            await store.CreateAsync("/a", Bytes("1"), CreateMode.Persistent);
            await store.SetDataAsync("/a", Bytes("2"));
        }

        // A crash between the snapshot's rename and the log's truncation.
        byte[] log = File.ReadAllBytes(Path.Combine(directory.Path, "coordination.log"));
        await using (EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(directory.Path, clock))
        {
            store.TakeSnapshot();
        }

        File.WriteAllBytes(Path.Combine(directory.Path, "coordination.log"), log);

        await using EmbeddedCoordinationStore reopened = EmbeddedCoordinationStore.Open(directory.Path, clock);
        NodeData a = (await reopened.GetDataAsync("/a"))!;
        Assert.Equal("2", Text(a.Data));
        Assert.Equal(1, a.Stat.Version);
    }

    [Fact]
    public async Task A_torn_tail_is_truncated_to_a_prefix_of_the_committed_transactions()
    {
        // Build a log of known transactions, remembering where each record ends.
        using Samsa.Testing.TempDirectory source = new("coordination");
        Samsa.Testing.ManualClock clock = new();
        List<long> ends = [];
        await using (EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(source.Path, clock))
        {
            ends.Add(new FileInfo(Path.Combine(source.Path, "coordination.log")).Length);
            for (int i = 0; i < 20; i++)
            {
                await store.CreateAsync($"/n{i:D2}", Bytes(new string('x', i * 7)), CreateMode.Persistent);
                ends.Add(new FileInfo(Path.Combine(source.Path, "coordination.log")).Length);
            }
        }

        byte[] full = File.ReadAllBytes(Path.Combine(source.Path, "coordination.log"));
        Random random = new(1234);
        List<int> cuts = [0, 1, 7, 8, full.Length - 1, full.Length];
        for (int i = 0; i < 40; i++)
        {
            cuts.Add(random.Next(0, full.Length + 1));
        }

        foreach (int cut in cuts)
        {
            using Samsa.Testing.TempDirectory target = new("coordination-torn");
            File.WriteAllBytes(Path.Combine(target.Path, "coordination.log"), full.AsSpan(0, cut).ToArray());

            await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(target.Path, clock);

            int committed = ends.Count(end => end <= cut) - 1;
            committed = Math.Max(committed, 0);
            IReadOnlyList<string> children = (await store.GetChildrenAsync("/"))!;
            Assert.Equal(committed, children.Count);
            for (int i = 0; i < committed; i++)
            {
                Assert.Equal($"n{i:D2}", children[i]);
            }

            Assert.Equal(committed, store.LastZxid);

            // The store appends after the valid prefix and the result reopens cleanly.
            await store.CreateAsync("/after", default, CreateMode.Persistent);
            await store.DisposeAsync();
            await using EmbeddedCoordinationStore again = EmbeddedCoordinationStore.Open(target.Path, clock);
            Assert.Equal(committed + 1, (await again.GetChildrenAsync("/"))!.Count);
            Assert.Equal(0, again.TruncatedBytesOnOpen);
        }
    }

    [Fact]
    public async Task A_zero_filled_tail_is_treated_as_torn()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);
        await f.Store.DisposeAsync();
        await using (FileStream log = new(f.LogPath, FileMode.Append))
        {
            log.Write(new byte[4096]);
        }

        await f.ReopenAsync();
        Assert.NotNull(await f.Store.ExistsAsync("/a"));
        Assert.Equal(4096, f.Store.TruncatedBytesOnOpen);
    }

    [Fact]
    public async Task A_corrupt_byte_in_the_middle_fails_open_with_a_clear_error()
    {
        await using StoreFixture f = new();
        for (int i = 0; i < 5; i++)
        {
            await f.Store.CreateAsync($"/n{i}", Bytes("payload"), CreateMode.Persistent);
        }

        await f.Store.DisposeAsync();
        byte[] log = File.ReadAllBytes(f.LogPath);
        int middle = log.Length / 2;
        log[middle] ^= 0x5a;
        File.WriteAllBytes(f.LogPath, log);

        CoordinationException e = Assert.Throws<CoordinationException>(() => EmbeddedCoordinationStore.Open(f.Directory.Path, f.Clock));
        Assert.Equal(CoordinationError.SystemError, e.Error);
        Assert.Contains("coordination.log is corrupt at byte", e.Message, StringComparison.Ordinal);

        // Nothing was truncated: fixing the byte makes the log whole again.
        log[middle] ^= 0x5a;
        File.WriteAllBytes(f.LogPath, log);
        await f.ReopenAsync();
        Assert.Equal(5, (await f.Store.GetChildrenAsync("/"))!.Count);
    }

    [Fact]
    public async Task A_corrupt_snapshot_fails_open()
    {
        await using StoreFixture f = new();
        await f.Store.CreateAsync("/a", default, CreateMode.Persistent);
        f.Store.TakeSnapshot();
        await f.Store.DisposeAsync();
        string snapshot = f.Directory.Combine("coordination.snapshot");
        byte[] bytes = File.ReadAllBytes(snapshot);
        bytes[^3] ^= 1;
        File.WriteAllBytes(snapshot, bytes);

        CoordinationException e = Assert.Throws<CoordinationException>(() => EmbeddedCoordinationStore.Open(f.Directory.Path, f.Clock));
        Assert.Contains("snapshot", e.Message, StringComparison.Ordinal);
        bytes[^3] ^= 1;
        File.WriteAllBytes(snapshot, bytes);
        await f.ReopenAsync();
    }

    [Fact]
    public async Task A_second_store_cannot_open_the_same_directory()
    {
        await using StoreFixture f = new();
        CoordinationException e = Assert.Throws<CoordinationException>(() => EmbeddedCoordinationStore.Open(f.Directory.Path, f.Clock));
        Assert.Equal(CoordinationError.SystemError, e.Error);
    }
}
