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

    /// <summary>
    /// Runs a tool on a pseudo-terminal, as from a user's shell: util-linux <c>script(1)</c> (Debian's
    /// essential bsdutils) gives it one, and what the terminal showed comes back, stdout and stderr
    /// together (the terminal turns each "\n" into "\r\n"). Stdin stays open and empty.
    /// </summary>
    public static async Task<(int ExitCode, string Screen)> RunOnTerminalAsync(string tool, params string[] args)
    {
        var command = new System.Text.StringBuilder("exec dotnet");
        foreach (string word in (string[])[CliDll(), tool, .. args])
        {
            command.Append(" '").Append(word.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }

        var start = new ProcessStartInfo("script")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // script(1) runs the command with $SHELL -c: a POSIX shell, whatever the user's is.
        start.Environment["SHELL"] = "/bin/sh";
        foreach (string arg in (string[])["--quiet", "--return", "--command", command.ToString(), "/dev/null"])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        Task<string> screen = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} on a terminal did not exit within {Timeout.TotalSeconds} s");
        }

        process.StandardInput.Close();
        return (process.ExitCode, await screen + await errors);
    }

    public static string CliDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(testOutput.Parent!.Parent!.FullName, "Samsa.Cli", testOutput.Name, "Samsa.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Samsa.Cli is not built for this configuration", dll);
    }
}
