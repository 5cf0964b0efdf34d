namespace Samsa.Coordination.ZooKeeper;

/// <summary>One server of a connect string.</summary>
internal readonly record struct ZooKeeperEndpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
