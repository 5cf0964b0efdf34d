using System.Diagnostics;

namespace Samsa.Cli.Tests;

/// <summary>
/// One run of a tool: Samsa.Cli.dll of the test's configuration (the executable bin/kafka-*.sh
/// runs), with optional stdin text; output captured, and killed if it outlives the timeout.
/// </summary>
internal static class ToolRun
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(CliDll());
        start.ArgumentList.Add(tool);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not exit within {Timeout.TotalSeconds} s");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    public static string CliDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(testOutput.Parent!.Parent!.FullName, "Samsa.Cli", testOutput.Name, "Samsa.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Samsa.Cli is not built for this configuration", dll);
    }
}
