using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Fetching;

/// <summary>
/// A partition within a fetch session, as the client names it: by topic name before Fetch v13
/// (TopicId zero), by topic id from v13 (Topic empty, since the name is not on the wire).
/// </summary>
internal readonly record struct FetchSessionKey(string Topic, Uuid TopicId, int Partition);
