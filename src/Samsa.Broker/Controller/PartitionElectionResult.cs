using Samsa.Protocol;

namespace Samsa.Broker.Controller;

/// <summary>The outcome of a leader election asked for one partition (ElectLeaders).</summary>
internal sealed record PartitionElectionResult(string Topic, int Partition, ErrorCode Error, string? Message);
