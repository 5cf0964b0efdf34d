using System.Diagnostics;
using System.Globalization;
using System.Text;
using Samsa.Storage.CrashWriter;

namespace Samsa.Storage.Tests.Crash;

/// <summary>
/// A running Samsa.Storage.CrashWriter child process: starts it with <c>dotnet &lt;dll&gt;</c>, pumps
/// its stdout on one task (opening / recovering / opened / acked lines), and kills it with SIGKILL
/// (<see cref="Process.Kill()"/> is kill(pid, SIGKILL) on Unix). Owned by one test; the pump is
/// the only writer of the counters, read under <see cref="_gate"/>.
/// </summary>
internal sealed class CrashWriterProcess : IAsyncDisposable
{
    private const string WriterName = "Samsa.Storage.CrashWriter";

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<long> _acked = [];
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _opening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _pump;
    private TaskCompletionSource? _ackWaiter;
    private int _ackTarget;
    private TaskCompletionSource? _recoveryWaiter;
    private bool _killAtRecovery;
    private int _recoveryTarget;
    private int _recovered;

    private CrashWriterProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_gate)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>Milliseconds the writer's LogDirectory.Open took (recovery included); -1 until it printed "opened".</summary>
    public long OpenMs { get; private set; } = -1;

    public bool HasOpened => _opened.Task.IsCompletedSuccessfully;

    public Task Opening => _opening.Task;

    public Task Opened => _opened.Task;

    /// <summary>Last offsets of the appends whose call returned, as printed so far.</summary>
    public IReadOnlyList<long> Acked
    {
        get
        {
            lock (_gate)
            {
                return [.. _acked];
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _stderr.ToString();
            }
        }
    }

    public static CrashWriterProcess Start(CrashWriterSettings settings)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(WriterPath());
        foreach (string argument in settings.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        return new CrashWriterProcess(Process.Start(start) ?? throw new InvalidOperationException("Crash writer did not start."));
    }

    /// <summary>Completes once at least <paramref name="count"/> appends were acked, or fails if the writer exits first.</summary>
    public Task WaitForAcksAsync(int count)
    {
        lock (_gate)
        {
            if (_acked.Count >= count)
            {
                return Task.CompletedTask;
            }

            _ackTarget = count;
            _ackWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _ackWaiter.Task;
        }
    }

    /// <summary>
    /// Completes once the writer reported at least <paramref name="indexFiles"/> rebuilt index files
    /// while opening (<c>recovering &lt;n&gt;</c>, see CrashWriterSettings.ReportRecovery), or
    /// fails if the writer exits first. The open may finish before; then this never completes by
    /// itself, and the caller also watches <see cref="Opened"/>. With <paramref name="kill"/>, the
    /// line's reader SIGKILLs the writer the moment it reads that report, before anything else
    /// runs: a kill meant to land inside the recovery must not wait for a free thread.
    /// </summary>
    public Task WaitForRecoveryAsync(int indexFiles, bool kill = false)
    {
        lock (_gate)
        {
            _killAtRecovery = kill;
            if (_recovered >= indexFiles)
            {
                return Task.CompletedTask;
            }

            _recoveryTarget = indexFiles;
            _recoveryWaiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _recoveryWaiter.Task;
        }
    }

    /// <summary>SIGKILL, then waits for the exit and for every line the writer printed before it.</summary>
    public async Task KillAsync()
    {
        TryKill();
        await _process.WaitForExitAsync();
        await _pump;
    }

    /// <summary>Whether the process ended by our SIGKILL (exit status 128 + 9) rather than by itself.</summary>
    public bool WasKilled => _process.HasExited && _process.ExitCode == 137;

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void TryKill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited; the exit code tells the test why.
        }
    }

    private async Task PumpAsync()
    {
        StreamReader stdout = _process.StandardOutput;
        while (await stdout.ReadLineAsync() is string line)
        {
            if (line.StartsWith("acked ", StringComparison.Ordinal))
            {
                long offset = long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
                TaskCompletionSource? reached = null;
                lock (_gate)
                {
                    _acked.Add(offset);
                    if (_ackWaiter is not null && _acked.Count >= _ackTarget)
                    {
                        reached = _ackWaiter;
                        _ackWaiter = null;
                    }
                }

                reached?.TrySetResult();
            }
            else if (line.StartsWith("recovering ", StringComparison.Ordinal))
            {
                int count = int.Parse(line.AsSpan(11), CultureInfo.InvariantCulture);
                TaskCompletionSource? reached = null;
                lock (_gate)
                {
                    _recovered = Math.Max(_recovered, count);
                    if (_recoveryWaiter is not null && _recovered >= _recoveryTarget)
                    {
                        reached = _recoveryWaiter;
                        _recoveryWaiter = null;
                        if (_killAtRecovery)
                        {
                            TryKill();
                        }
                    }
                }

                reached?.TrySetResult();
            }
            else if (line == "opening")
            {
                _opening.TrySetResult();
            }
            else if (line.StartsWith("opened ", StringComparison.Ordinal))
            {
                OpenMs = long.Parse(line.AsSpan(line.LastIndexOf(' ') + 1), CultureInfo.InvariantCulture);
                _opened.TrySetResult();
            }
        }

        // stdout closed: the writer is gone. Nobody may wait for more.
        TaskCompletionSource? waiter;
        TaskCompletionSource? recoveryWaiter;
        lock (_gate)
        {
            waiter = _ackWaiter;
            _ackWaiter = null;
            recoveryWaiter = _recoveryWaiter;
            _recoveryWaiter = null;
        }

        var ended = new InvalidOperationException("The crash writer exited before the awaited output.");
        waiter?.TrySetException(ended);
        recoveryWaiter?.TrySetException(ended);
        _opening.TrySetException(ended);
        _opened.TrySetException(ended);
    }

    /// <summary>The writer's dll beside this test assembly's output: artifacts/bin/&lt;project&gt;/&lt;pivot&gt;/.</summary>
    private static string WriterPath()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string pivot = testOutput.Name;
        string path = Path.Combine(testOutput.Parent!.Parent!.FullName, WriterName, pivot, WriterName + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Crash writer not built (it is a ProjectReference of the tests).", path);
    }

    /// <summary>The dotnet host running these tests, so the child uses the same runtime.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return "dotnet";
    }
}
