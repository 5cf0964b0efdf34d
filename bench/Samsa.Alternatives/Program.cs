using System.Net.Sockets;
using Confluent.Kafka;

namespace Samsa.Alternatives;

/// <summary>Command-line entry: parse, measure, print the result line; exit 1 when the measurement failed.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (!AlternativeOptionsParser.TryParse(args, out AlternativeOptions? options, out string error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(AlternativeOptionsParser.Usage);
            return 2;
        }

        using var stopping = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
        };

        try
        {
            BaselineResult result = options!.Mode switch
            {
                AlternativeMode.MockConsume => MockConsumeBaseline.Run(options, Console.Out, stopping.Token),
                AlternativeMode.Nats => await NatsJetStreamBaseline.RunAsync(options, Console.Out, stopping.Token),
                _ => await RedisStreamsBaseline.RunAsync(options, Console.Out, stopping.Token),
            };
            Console.WriteLine(result.ToString());
            return 0;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or SocketException
                                       or KafkaException or OperationCanceledException or NATS.Client.Core.NatsException)
        {
            await Console.Error.WriteLineAsync($"alternatives: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }
}
