using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Samsa.Server;

/// <summary>
/// Log lines in the shape Kafka's log4j layout prints them, so people and scripts that read
/// Kafka's server log read ours: <c>[2026-11-26 10:00:00,123] INFO message (category)</c>.
/// </summary>
internal static class KafkaLogFormatter
{
    public static string Format(DateTimeOffset now, LogLevel level, string category, string message, Exception? exception)
    {
        var line = new StringBuilder(message.Length + category.Length + 40);
        line.Append('[')
            .Append(now.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture))
            .Append("] ")
            .Append(LevelName(level))
            .Append(' ')
            .Append(message);
        if (!message.EndsWith(')'))
        {
            line.Append(" (").Append(category).Append(')');
        }

        line.Append('\n');
        if (exception is not null)
        {
            line.Append(exception).Append('\n');
        }

        return line.ToString();
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "ERROR",
        _ => "FATAL",
    };
}
