using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Samsa.Broker;
using Samsa.Broker.Configuration;
using Samsa.Server;

// Samsa.Server <server.properties> [--override key=value]...
// Reads the file as Kafka does, applies the overrides, starts a broker, and runs until SIGTERM
// or Ctrl-C, then shuts down cleanly (finish in-flight requests, flush, mark the clean shutdown).
const string Usage = "USAGE: kafka-server-start.sh [-daemon] server.properties [--override property=value]*";

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine(Usage);
    return args.Length == 0 ? 1 : 0;
}

var overrides = new List<string>();
for (int i = 1; i < args.Length; i++)
{
    if (args[i] == "--override" && i + 1 < args.Length)
    {
        overrides.Add(args[++i]);
    }
    else
    {
        Console.Error.WriteLine($"Unrecognized argument '{args[i]}'.");
        Console.Error.WriteLine(Usage);
        return 1;
    }
}

// stdout unflushed between lines: the log writer flushes once it has written all it holds.
var stdout = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false)) { AutoFlush = false };
using var loggerFactory = new KafkaConsoleLoggerFactory(stdout, LogLevel.Information, TimeProvider.System);
ILogger logger = loggerFactory.CreateLogger("kafka.Kafka");

BrokerOptions options;
try
{
    if (!File.Exists(args[0]))
    {
        Console.Error.WriteLine($"ERROR Exiting Kafka: the properties file {args[0]} does not exist.");
        return 1;
    }

    PropertiesFile file = PropertiesFile.Load(args[0]);
    IReadOnlyDictionary<string, string> merged = BrokerOptions.Merge(file.Values, BrokerOptions.ParseOverrides(overrides));
    options = BrokerOptions.Load(merged, out IReadOnlyList<string> warnings);
    foreach (string warning in warnings)
    {
        ServerLog.ConfigWarning(logger, warning);
    }
}
catch (ConfigException e)
{
    Console.Error.WriteLine($"ERROR Exiting Kafka due to fatal exception: {e.Message}");
    return 1;
}

using var stop = new CancellationTokenSource();
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

KafkaBroker broker;
try
{
    broker = await KafkaBroker.StartAsync(options, TimeProvider.System, loggerFactory, stop.Token);
}
catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or Samsa.Storage.StorageException)
{
    ServerLog.StartupFailed(logger, e.Message);
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // SIGTERM or Ctrl-C while starting (waiting for ZooKeeper, say): StartAsync closed what it had
    // opened, logs included, so this is a clean stop like any other, not a crash.
    ServerLog.StartupInterrupted(logger);
    return 0;
}

await using (broker)
{
    try
    {
        await Task.Delay(Timeout.Infinite, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }

    try
    {
        await broker.StopAsync();
    }
    catch (AggregateException)
    {
        // Each failed part was logged as it failed and the others still stopped (the logs closed
        // and marked clean, unless closing them is what failed).
        return 1;
    }
}

return 0;
