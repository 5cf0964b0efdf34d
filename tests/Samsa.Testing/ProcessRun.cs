using System.Diagnostics;

namespace Samsa.Testing;

/// <summary>
/// Runs one child process to its end for a test: every stream redirected, optional stdin text then
/// end of input, output captured, and the whole process tree killed if it outlives the timeout.
/// </summary>
public static class ProcessRun
{
    /// <summary>A start with stdin, stdout and stderr redirected and no shell in between.</summary>
    public static ProcessStartInfo Redirected(string file, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    /// <param name="what">What the timeout's message names.</param>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(ProcessStartInfo start, string? stdin, TimeSpan timeout, string what)
    {
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
        }

        process.StandardInput.Close();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);

            // What it printed before it hung is the first clue; the kill closed its pipes.
            string printed;
            try
            {
                string[] both = await Task.WhenAll(stdout, stderr).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                printed = Tail(both[0]) + Tail(both[1]);
            }
            catch (TimeoutException)
            {
                printed = "(its output could not be read)";
            }

            throw new TimeoutException($"{what} did not exit within {timeout.TotalSeconds} s; it printed:\n{printed}");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];
}
