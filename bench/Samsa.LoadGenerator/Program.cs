using System.Net.Sockets;
using Samsa.Protocol;

namespace Samsa.LoadGenerator;

/// <summary>Command-line entry: parse, run until done or Ctrl+C, exit 1 when any response carried an error.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (!LoadOptionsParser.TryParse(args, out LoadOptions options, out string error))
        {
            await Console.Error.WriteLineAsync(error);
            await Console.Error.WriteLineAsync(LoadOptionsParser.Usage);
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
            LoadReport report = await LoadRunner.RunAsync(options, Console.Out, stopping.Token);
            return report.HasErrors ? 1 : 0;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or SocketException or ProtocolException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"loadgen: {e.Message}");
            return 1;
        }
    }
}
