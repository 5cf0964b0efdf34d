using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Samsa.Server;

/// <summary>
/// Log lines in the shape Kafka's log4j layout prints them, so people and scripts that read
/// Kafka's server log read ours: <c>[2026-11-26 10:00:00,123] INFO message (category)</c>.
/// </summary>
internal sealed class KafkaLogFormatter : ConsoleFormatter
{
    public const string FormatterName = "kafka";

    private readonly TimeProvider _time;

    public KafkaLogFormatter()
        : this(TimeProvider.System)
    {
    }

    public KafkaLogFormatter(TimeProvider time)
        : base(FormatterName)
    {
        _time = time;
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        string level = logEntry.LogLevel switch
        {
            LogLevel.Trace => "TRACE",
            LogLevel.Debug => "DEBUG",
            LogLevel.Information => "INFO",
            LogLevel.Warning => "WARN",
            LogLevel.Error => "ERROR",
            _ => "FATAL",
        };
        DateTimeOffset now = _time.GetLocalNow();
        textWriter.Write('[');
        textWriter.Write(now.ToString("yyyy-MM-dd HH:mm:ss,fff", CultureInfo.InvariantCulture));
        textWriter.Write("] ");
        textWriter.Write(level);
        textWriter.Write(' ');
        textWriter.Write(message);
        if (!message.EndsWith(')'))
        {
            textWriter.Write(" (");
            textWriter.Write(logEntry.Category);
            textWriter.Write(')');
        }

        textWriter.Write('\n');
        if (logEntry.Exception is not null)
        {
            textWriter.Write(logEntry.Exception.ToString());
            textWriter.Write('\n');
        }
    }
}
