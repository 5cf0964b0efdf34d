using Samsa.Protocol;

namespace Samsa.Broker.Fetching;

/// <summary>
/// How a fetch request relates to sessions: a top-level error (the response carries only it), no
/// session (answer in full, session id 0), or a session whose partitions to read, answered in full
/// when it was just created and incrementally after that.
/// </summary>
internal readonly record struct FetchSessionStart(ErrorCode Error, FetchSession? Session, bool Incremental)
{
    public static FetchSessionStart Sessionless => new(ErrorCode.None, null, Incremental: false);
}
