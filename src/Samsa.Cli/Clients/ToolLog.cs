using System.Globalization;

namespace Samsa.Cli.Clients;

/// <summary>
/// The log4j lines Kafka's tools print on stderr ("[2024-01-31 12:00:00,123] ERROR ... (logger)"),
/// for the few messages that Kafka reports through its logger rather than println.
/// </summary>
internal static class ToolLog
{
    public static void Write(string level, string message, string logger)
    {
        string time = TimeProvider.System.GetLocalNow().ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture);
        Console.Error.WriteLine($"[{time}] {level} {message} ({logger})");
    }
}
