using Microsoft.Extensions.Logging;

namespace Samsa.Server;

/// <summary>The server executable's own log lines.</summary>
internal static partial class ServerLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void ConfigWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "Exiting Kafka due to fatal exception during startup: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Shutdown requested during startup; stopped before serving")]
    public static partial void StartupInterrupted(ILogger logger);
}
