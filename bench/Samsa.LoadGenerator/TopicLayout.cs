using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>The topic a run loads: its name, id (for Fetch v13+) and partition count, all led by the bootstrap broker.</summary>
internal sealed record TopicLayout(string Name, Uuid TopicId, int Partitions);
