namespace Samsa.CrashLoop;

/// <summary>The faults the cluster chaos loop injects, one per round.</summary>
public enum ChaosFault
{
    /// <summary>SIGKILL a random broker, leave it dead a moment, start it again on its log dir and port.</summary>
    BrokerKill,

    /// <summary>SIGSTOP a random broker for a while (a long GC pause, a frozen host), then SIGCONT.</summary>
    BrokerPause,

    /// <summary>SIGKILL a random ZooKeeper server, then start it again on its data.</summary>
    ZooKeeperKill,

    /// <summary>SIGSTOP a random ZooKeeper server for a while, then SIGCONT.</summary>
    ZooKeeperPause,

    /// <summary>SIGKILL the broker that is the controller, then start it again.</summary>
    ControllerKill,
}
