using Microsoft.Extensions.Logging;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>The ZooKeeper client's log messages (wording after the Java client's ClientCnxn).</summary>
internal static partial class ZooKeeperLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Session establishment complete on server {Server}, session id = 0x{SessionId:x}, negotiated timeout = {TimeoutMs} ms")]
    public static partial void Connected(ILogger logger, ZooKeeperEndpoint server, long sessionId, int timeoutMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Unable to connect to {Server}: {Reason}; trying another server")]
    public static partial void ConnectFailed(ILogger logger, ZooKeeperEndpoint server, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection to {Server} lost (session 0x{SessionId:x}): {Reason}; reconnecting")]
    public static partial void Disconnected(ILogger logger, ZooKeeperEndpoint server, long sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} has expired (server {Server}); its ephemeral nodes are gone")]
    public static partial void Expired(ILogger logger, long sessionId, ZooKeeperEndpoint server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session 0x{SessionId:x} closed")]
    public static partial void Closed(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SetWatches failed with {Error}")]
    public static partial void SetWatchesFailed(ILogger logger, CoordinationError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A watcher threw on {Type} {Path}")]
    public static partial void WatcherFailed(ILogger logger, WatchEventType type, string path, Exception exception);
}
