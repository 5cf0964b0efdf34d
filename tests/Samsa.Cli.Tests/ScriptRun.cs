using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// Runs one of the repository's bin/*.sh scripts as a user would (bash, arguments, environment),
/// on the executables this test run built: SAMSA_CONFIGURATION names the build and
/// SAMSA_SKIP_BUILD keeps bin/samsa-run-class.sh from rebuilding while the sources change.
/// </summary>
internal static class ScriptRun
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string script, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        ProcessStartInfo start = ProcessRun.Redirected("bash", [Path.Combine(RepoRoot, "bin", script), .. args]);
        start.WorkingDirectory = RepoRoot;
        start.Environment["SAMSA_SKIP_BUILD"] = "1";
        start.Environment["SAMSA_CONFIGURATION"] = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Name;
        foreach ((string key, string value) in environment)
        {
            start.Environment[key] = value;
        }

        return ProcessRun.RunAsync(start, null, Timeout, $"{script} {string.Join(' ', args)}");
    }

    /// <summary>Whether the process with this id still runs (and is not a zombie).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            if (process.HasExited)
            {
                return false;
            }
        }
        catch (ArgumentException)
        {
            return false;
        }

        string status = Path.Combine("/proc", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "status");
        return !File.Exists(status) || !File.ReadAllText(status).Contains("State:\tZ", StringComparison.Ordinal);
    }

    /// <summary>Last resort for a test that failed half-way: SIGKILL the one process it started, by id.</summary>
    public static void KillIfRunning(int pid)
    {
        if (pid <= 0 || !IsRunning(pid))
        {
            return;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>A loopback port nobody listens on right now (for servers that cannot bind port 0).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string FindRepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Samsa.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Samsa.slnx not found above the test's output directory");
    }
}
