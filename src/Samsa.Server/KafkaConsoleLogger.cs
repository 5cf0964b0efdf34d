using Microsoft.Extensions.Logging;

namespace Samsa.Server;

/// <summary>One category's logger: formats enabled entries as Kafka's lines and hands them to the writer.</summary>
internal sealed class KafkaConsoleLogger(string category, LogLevel minimumLevel, LogLineWriter writer, TimeProvider time) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimumLevel;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        writer.Enqueue(KafkaLogFormatter.Format(time.GetLocalNow(), logLevel, category, formatter(state, exception), exception));
    }
}
