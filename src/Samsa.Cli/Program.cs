using System.Runtime.InteropServices;
using Samsa.Cli.CommandLine;
using Samsa.Cli.Tools;

// One executable for every kafka-*.sh tool: bin/<tool>.sh runs "Samsa.Cli <tool> [args]".
// Ctrl-C and SIGTERM cancel the token; the console tools then finish as Kafka's shutdown hooks do
// (flush the producer, commit and count for the consumer).
if (args.Length == 0)
{
    Console.Error.WriteLine("Usage: Samsa.Cli <kafka-topics|kafka-console-producer|kafka-console-consumer|kafka-consumer-groups|kafka-configs|kafka-producer-perf-test|kafka-consumer-perf-test> [args]");
    return 1;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Shutdown.ExitCode = Shutdown.SigInt;
    stop.Cancel();
};
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    Shutdown.ExitCode = Shutdown.SigTerm;
    stop.Cancel();
});

string[] toolArgs = args[1..];
try
{
    return args[0] switch
    {
        "kafka-topics" => await TopicCommand.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-console-producer" => await ConsoleProducer.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-console-consumer" => await ConsoleConsumer.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-configs" => await ConfigCommand.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-consumer-groups" => await ConsumerGroupCommand.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-producer-perf-test" => await ProducerPerformance.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        "kafka-consumer-perf-test" => await ConsumerPerformance.RunAsync(toolArgs, stop.Token).ConfigureAwait(false),
        _ => Unknown(args[0]),
    };
}
catch (UsageException e)
{
    Console.Out.Flush();
    Console.Error.WriteLine(e.Message);
    if (e.Usage is not null)
    {
        Console.Error.Write(e.Usage);
    }

    return 1;
}

static int Unknown(string tool)
{
    Console.Error.WriteLine($"Samsa.Cli: unknown tool '{tool}'");
    return 1;
}
