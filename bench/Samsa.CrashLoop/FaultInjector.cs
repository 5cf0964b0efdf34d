using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Samsa.Testing;

namespace Samsa.CrashLoop;

/// <summary>
/// Injects one <see cref="ChaosFault"/> into a <see cref="KafkaCluster"/> and undoes it: a killed
/// process is started again after a seeded-random down time, a stopped one continued after a
/// seeded-random pause. Processes are signalled by their own id only. Returns when the fault is
/// over (the process runs again), not when the cluster has healed.
/// </summary>
internal sealed class FaultInjector(KafkaCluster cluster, IAdminClient admin, ClusterChaosOptions options, Random random)
{
    /// <summary>Runs <paramref name="fault"/>; returns what was done, for the round's line.</summary>
    public async Task<string> InjectAsync(ChaosFault fault, CancellationToken cancellationToken)
    {
        switch (fault)
        {
            case ChaosFault.BrokerKill:
                return await KillBrokerAsync(cluster.Brokers[random.Next(cluster.Brokers.Count)], "broker", cancellationToken).ConfigureAwait(false);
            case ChaosFault.ControllerKill:
                int controller = await ControllerAsync(cancellationToken).ConfigureAwait(false);
                return await KillBrokerAsync(cluster.Broker(controller), "controller", cancellationToken).ConfigureAwait(false);
            case ChaosFault.BrokerPause:
                BrokerProcess broker = cluster.Brokers[random.Next(cluster.Brokers.Count)];
                TimeSpan brokerPause = await PauseAsync(broker.ProcessId, cancellationToken).ConfigureAwait(false);
                return Text($"SIGSTOP broker {broker.BrokerId} for {brokerPause.TotalSeconds:F1} s");
            case ChaosFault.ZooKeeperKill:
                int killed = random.Next(cluster.ZooKeeper.Count);
                string killedMode = await cluster.ZooKeeper.ModeAsync(killed, cancellationToken).ConfigureAwait(false) ?? "not serving";
                cluster.ZooKeeper.Kill(killed);
                TimeSpan down = BrokerCrashLoop.Between(random, TimeSpan.Zero, options.MaxDownTime);
                await Task.Delay(down, cancellationToken).ConfigureAwait(false);
                await cluster.ZooKeeper.RestartAsync(killed, cancellationToken).ConfigureAwait(false);
                return Text($"SIGKILL ZooKeeper {killed + 1} ({killedMode}), down {down.TotalSeconds:F1} s");
            case ChaosFault.ZooKeeperPause:
                int paused = random.Next(cluster.ZooKeeper.Count);
                string pausedMode = await cluster.ZooKeeper.ModeAsync(paused, cancellationToken).ConfigureAwait(false) ?? "not serving";
                TimeSpan zooKeeperPause = await PauseAsync(cluster.ZooKeeper.ProcessId(paused), cancellationToken).ConfigureAwait(false);
                return Text($"SIGSTOP ZooKeeper {paused + 1} ({pausedMode}) for {zooKeeperPause.TotalSeconds:F1} s");
            default:
                throw new ArgumentOutOfRangeException(nameof(fault), fault, "not a fault");
        }
    }

    private async Task<string> KillBrokerAsync(BrokerProcess broker, string what, CancellationToken cancellationToken)
    {
        await broker.KillAsync().ConfigureAwait(false);
        TimeSpan down = BrokerCrashLoop.Between(random, TimeSpan.Zero, options.MaxDownTime);
        await Task.Delay(down, cancellationToken).ConfigureAwait(false);
        await broker.RestartAsync(cancellationToken).ConfigureAwait(false);
        return Text($"SIGKILL {what} {broker.BrokerId}, down {down.TotalSeconds:F1} s");
    }

    /// <summary>SIGSTOP, a random pause, SIGCONT (also when cancelled: a stopped process must not outlive the run stopped).</summary>
    private async Task<TimeSpan> PauseAsync(int processId, CancellationToken cancellationToken)
    {
        if (processId <= 0)
        {
            throw new InvalidOperationException("The process to pause is not running.");
        }

        TimeSpan pause = BrokerCrashLoop.Between(random, options.MinPause, options.MaxPause);
        UnixSignal.Send(processId, UnixSignal.SigStop);
        try
        {
            await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            UnixSignal.Send(processId, UnixSignal.SigCont);
        }

        return pause;
    }

    /// <summary>The controller's broker id, asked until one is elected (the previous round may have just moved it).</summary>
    private async Task<int> ControllerAsync(CancellationToken cancellationToken)
    {
        int controller = -1;
        string last = "";
        async Task<bool> NamedAsync()
        {
            try
            {
                DescribeClusterResult cluster = await admin.DescribeClusterAsync(new DescribeClusterOptions { RequestTimeout = TimeSpan.FromSeconds(5) }).ConfigureAwait(false);
                controller = cluster.Controller?.Id ?? -1;
                last = "no controller";
            }
            catch (KafkaException e)
            {
                last = e.Error.ToString();
            }

            return controller > 0;
        }

        return await Polling.TryUntilAsync(NamedAsync, options.StepTimeout, TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false)
            ? controller
            : throw new TimeoutException($"No controller was named within {options.StepTimeout.TotalSeconds} s: {last}");
    }

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
