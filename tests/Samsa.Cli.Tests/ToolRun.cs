using System.Diagnostics;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// One run of a tool: Samsa.Cli.dll of the test's configuration (the executable bin/kafka-*.sh
/// runs), with optional stdin text; output captured, and killed if it outlives the timeout.
/// </summary>
internal static class ToolRun
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string tool, string? stdin, params string[] args) =>
        ProcessRun.RunAsync(ProcessRun.Redirected("dotnet", [CliDll(), tool, .. args]), stdin, Timeout, $"{tool} {string.Join(' ', args)}");

    /// <summary>
    /// Runs a tool on a pseudo-terminal, as from a user's shell: util-linux <c>script(1)</c> (Debian's
    /// essential bsdutils) gives it one, and what the terminal showed comes back, stdout and stderr
    /// together (the terminal turns each "\n" into "\r\n").
    /// </summary>
    public static async Task<(int ExitCode, string Screen)> RunOnTerminalAsync(string tool, params string[] args)
    {
        var command = new System.Text.StringBuilder("exec dotnet");
        foreach (string word in (string[])[CliDll(), tool, .. args])
        {
            command.Append(" '").Append(word.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }

        ProcessStartInfo start = ProcessRun.Redirected("script", ["--quiet", "--return", "--command", command.ToString(), "/dev/null"]);

        // script(1) runs the command with $SHELL -c: a POSIX shell, whatever the user's is.
        start.Environment["SHELL"] = "/bin/sh";
        (int exitCode, string stdout, string stderr) = await ProcessRun.RunAsync(start, null, Timeout, $"{tool} {string.Join(' ', args)} on a terminal");
        return (exitCode, stdout + stderr);
    }

    public static string CliDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string dll = Path.Combine(testOutput.Parent!.Parent!.FullName, "Samsa.Cli", testOutput.Name, "Samsa.Cli.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("Samsa.Cli is not built for this configuration", dll);
    }
}
