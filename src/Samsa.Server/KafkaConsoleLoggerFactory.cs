using Microsoft.Extensions.Logging;

namespace Samsa.Server;

/// <summary>
/// The server's loggers: Kafka-shaped lines on stdout from <see cref="LogLevel.Information"/> up.
/// Written by hand rather than with Microsoft.Extensions.Logging's LoggerFactory and console
/// provider, whose dependency-injection and options set-up took about a fifth of the broker's
/// start-up (docs/benchmarks.md, "Latency and start-up").
/// </summary>
internal sealed class KafkaConsoleLoggerFactory : ILoggerFactory
{
    private readonly LogLevel _minimumLevel;
    private readonly TimeProvider _time;
    private readonly LogLineWriter _writer;
    private readonly Dictionary<string, KafkaConsoleLogger> _loggers = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public KafkaConsoleLoggerFactory(TextWriter output, LogLevel minimumLevel, TimeProvider time)
    {
        _minimumLevel = minimumLevel;
        _time = time;
        _writer = new LogLineWriter(output);
    }

    public ILogger CreateLogger(string categoryName)
    {
        lock (_lock)
        {
            if (!_loggers.TryGetValue(categoryName, out KafkaConsoleLogger? logger))
            {
                logger = new KafkaConsoleLogger(categoryName, _minimumLevel, _writer, _time);
                _loggers.Add(categoryName, logger);
            }

            return logger;
        }
    }

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("The server writes Kafka-shaped lines to stdout only.");

    /// <summary>Writes out every line logged so far, then stops the writer.</summary>
    public void Dispose() => _writer.Dispose();
}
