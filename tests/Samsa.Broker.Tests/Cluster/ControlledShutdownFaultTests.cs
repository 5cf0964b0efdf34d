using Samsa.Protocol.Messages;
using Samsa.Storage.Checkpoints;

namespace Samsa.Broker.Tests.Cluster;

/// <summary>
/// A broker that is the controller stops (SIGTERM) while its ZooKeeper writes fail: its controlled
/// shutdown cannot move its leaderships, so it retries and then stops anyway, as Kafka's does —
/// closing its logs cleanly instead of dying with the coordination error.
/// </summary>
public sealed class ControlledShutdownFaultTests
{
    private const string Topic = "shutdown";

    [Fact]
    public async Task A_controller_whose_coordination_writes_fail_still_stops_cleanly()
    {
        await using InProcessCluster cluster = await InProcessCluster.StartAsync(3);
        KafkaBroker controller = await cluster.ControllerAsync();
        int id = controller.BrokerId;
        await cluster.CreateTopicAsync(id, Topic, [id, id % 3 + 1, (id + 1) % 3 + 1]);
        await InProcessCluster.WaitUntilAsync(
            async () => (await cluster.MetadataAsync(id, Topic)).Topics is [{ ErrorCode: 0, Partitions: [{ IsrNodes.Count: 3 } p] }] && p.LeaderId == id,
            "the controller leads the fully replicated partition");

        cluster.Sessions[id].FailWrites = true;
        await cluster.StopAsync(id).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(CleanShutdownFile.Exists(cluster.LogDir(id)), "the stopped controller's log dir is marked clean");
    }
}
