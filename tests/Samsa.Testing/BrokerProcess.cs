using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Samsa.Testing;

/// <summary>
/// A real Samsa broker running as a child process: the built Samsa.Server.dll of the test's own
/// configuration, started with config/server.properties, a log dir of its own and a loopback
/// listener on a port the OS picks. The test owns it: <see cref="StopAsync"/> sends SIGTERM (a clean
/// shutdown), <see cref="KillAsync"/> sends SIGKILL (a crash), <see cref="RestartAsync"/> starts it
/// again on the same log dir and port, and dispose kills it and deletes the log dir. The process is
/// only ever signalled by its own id.
/// </summary>
public sealed partial class BrokerProcess : IAsyncDisposable
{
    /// <summary>How long start-up may take before the test fails with the broker's output.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a SIGTERM may take before the process is killed.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    // The captured output is for failure messages; a chatty broker must not grow it without bound.
    private const int MaxCapturedChars = 4 * 1024 * 1024;

    private readonly TempDirectory _logDir;
    private readonly IReadOnlyList<string> _overrides;
    private readonly Lock _outputLock = new();
    private readonly StringBuilder _output = new();
    private Process? _process;
    private TaskCompletionSource<int>? _listening;
    private TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _port;
    private bool _disposed;

    private readonly int _brokerId;

    private BrokerProcess(TempDirectory logDir, IReadOnlyList<string> overrides, int brokerId)
    {
        _logDir = logDir;
        _overrides = overrides;
        _brokerId = brokerId;
    }

    /// <summary>The broker.id it runs with.</summary>
    public int BrokerId => _brokerId;

    /// <summary>The loopback port the broker listens on; kept across restarts.</summary>
    public int Port => _port;

    public string BootstrapServers => "127.0.0.1:" + _port.ToString(CultureInfo.InvariantCulture);

    /// <summary>The broker's log.dirs; it outlives restarts and goes away on dispose.</summary>
    public string LogDir => _logDir.Path;

    /// <summary>The process id of the current run, for diagnostics.</summary>
    public int ProcessId => _process?.Id ?? 0;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Raised for every line the broker writes, on a thread-pool thread; unlike <see cref="Output"/>
    /// it is not capped, so a long run (the fuzzer) can watch the whole log.
    /// </summary>
    public event Action<string>? OutputLine;

    /// <summary>Everything the broker wrote to stdout and stderr, across every run.</summary>
    public string Output
    {
        get
        {
            lock (_outputLock)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a broker and returns once it reported both its bound port and "started".
    /// </summary>
    /// <param name="overrides">Extra <c>key=value</c> settings, passed as <c>--override</c> after the fixed ones.</param>
    public static Task<BrokerProcess> StartAsync(IEnumerable<string>? overrides = null, CancellationToken cancellationToken = default) =>
        StartAsync(brokerId: 0, overrides, cancellationToken);

    /// <summary>Starts a broker with this broker.id (a cluster's brokers need distinct ids).</summary>
    public static async Task<BrokerProcess> StartAsync(int brokerId, IEnumerable<string>? overrides, CancellationToken cancellationToken = default)
    {
        var broker = new BrokerProcess(new TempDirectory("broker"), overrides is null ? [] : [.. overrides], brokerId);
        try
        {
            await broker.LaunchAsync(port: 0, cancellationToken).ConfigureAwait(false);
            return broker;
        }
        catch
        {
            await broker.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Launches a broker and returns at once, without waiting for it to listen or start (for
    /// tests of start-up itself); stop it with <see cref="StopAsync"/> or dispose it.
    /// </summary>
    public static BrokerProcess Launch(IEnumerable<string> overrides)
    {
        var broker = new BrokerProcess(new TempDirectory("broker"), [.. overrides], brokerId: 0);
        broker.StartProcess(port: 0);
        return broker;
    }

    /// <summary>Clean shutdown: SIGTERM, then wait; a broker that does not exit in time is killed and the call fails.</summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopAsync(CancellationToken cancellationToken = default)
    {
        Process? process = _process;
        if (process is null || process.HasExited)
        {
            return process?.ExitCode ?? 0;
        }

        UnixSignal.Send(process.Id, UnixSignal.SigTerm);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StopTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new TimeoutException($"The broker (pid {process.Id}) did not exit within {StopTimeout.TotalSeconds} s of SIGTERM.\n{Output}");
        }

        return process.ExitCode;
    }

    /// <summary>A crash: SIGKILL, no chance to flush or mark a clean shutdown.</summary>
    public async Task KillAsync()
    {
        Process? process = _process;
        if (process is null)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        // Also when it exited by itself: this returns once its output has been read to the end,
        // so Output holds its last lines (a start-up error), which can arrive after the exit.
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the broker again with the same log dir, overrides and port (clients keep their
    /// bootstrap address). A running broker is stopped cleanly first.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        await LaunchAsync(_port, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A crash during start-up: starts the broker again on the same log dir and port and SIGKILLs
    /// it <paramref name="after"/> the launch, whether or not it has reported started by then (log
    /// recovery, index rebuild, group loading run in that window).
    /// </summary>
    /// <returns>Whether it had reported started before the kill.</returns>
    public async Task<bool> RestartAndKillAsync(TimeSpan after, CancellationToken cancellationToken = default)
    {
        await StopAsync(cancellationToken).ConfigureAwait(false);
        Task launch = LaunchAsync(_port, cancellationToken);
        await Task.WhenAny(launch, Task.Delay(after, cancellationToken)).ConfigureAwait(false);
        bool started = launch.IsCompletedSuccessfully;
        await KillAsync().ConfigureAwait(false);
        try
        {
            await launch.ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // "exited during start-up": the kill we meant.
        }

        return started;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await KillAsync().ConfigureAwait(false);
        _process?.Dispose();
        _logDir.Dispose();
    }

    private async Task LaunchAsync(int port, CancellationToken cancellationToken)
    {
        Process process = StartProcess(port);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        try
        {
            _port = await _listening!.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            await _started.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
        {
            await KillAsync().ConfigureAwait(false);
            string why = e is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? $"did not report started within {StartTimeout.TotalSeconds} s"
                : e.Message;
            throw new InvalidOperationException($"Broker start failed ({why}); exit code {ExitCodeText(process)}. Output:\n{Output}", e);
        }
    }

    /// <summary>Starts the broker's process with its output captured; the start-up signals complete as its lines arrive.</summary>
    private Process StartProcess(int port)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _process?.Dispose();
        _listening = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AppendOutput($"--- launching broker (port {port.ToString(CultureInfo.InvariantCulture)}) ---");

        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = _logDir.Path,
        };
        start.ArgumentList.Add(ServerDll());
        start.ArgumentList.Add(Path.Combine(RepoRoot(), "config", "server.properties"));
        AddOverride(start, "log.dirs=" + _logDir.Path);
        AddOverride(start, "listeners=PLAINTEXT://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
        AddOverride(start, "broker.id=" + _brokerId.ToString(CultureInfo.InvariantCulture));
        foreach (string setting in _overrides)
        {
            AddOverride(start, setting);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        TaskCompletionSource<int> listening = _listening;
        TaskCompletionSource started = _started;
        process.OutputDataReceived += (_, e) => OnLine(e.Data, listening, started);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data, listening, started);
        process.Exited += (_, _) =>
        {
            var exited = new InvalidOperationException("The broker exited during start-up.");
            listening.TrySetException(exited);
            started.TrySetException(exited);
        };
        if (!process.Start())
        {
            throw new InvalidOperationException("The broker process did not start.");
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void OnLine(string? line, TaskCompletionSource<int> listening, TaskCompletionSource started)
    {
        if (line is null)
        {
            return;
        }

        AppendOutput(line);
        OutputLine?.Invoke(line);
        Match match = ListeningLine().Match(line);
        if (match.Success)
        {
            listening.TrySetResult(int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture));
        }
        else if (line.Contains(StartedLine(), StringComparison.Ordinal))
        {
            started.TrySetResult();
        }
    }

    private string StartedLine() => "[KafkaServer id=" + _brokerId.ToString(CultureInfo.InvariantCulture) + "] started";

    private void AppendOutput(string line)
    {
        lock (_outputLock)
        {
            if (_output.Length < MaxCapturedChars)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static string ExitCodeText(Process process) =>
        process.HasExited ? process.ExitCode.ToString(CultureInfo.InvariantCulture) : "(killed)";

    private static void AddOverride(ProcessStartInfo start, string setting)
    {
        start.ArgumentList.Add("--override");
        start.ArgumentList.Add(setting);
    }

    /// <summary>The dotnet host running this test, so the broker runs on the same runtime.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
        {
            return host;
        }

        string? self = Environment.ProcessPath;
        return self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
    }

    /// <summary>
    /// The server built in the same configuration as the running test: the test's output folder is
    /// artifacts/bin/&lt;project&gt;/&lt;configuration&gt;, the server's is artifacts/bin/Samsa.Server/&lt;configuration&gt;.
    /// </summary>
    private static string ServerDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string configuration = testOutput.Name;
        DirectoryInfo bin = testOutput.Parent?.Parent
            ?? throw new DirectoryNotFoundException($"Unexpected test output folder {testOutput.FullName}");
        string dll = Path.Combine(bin.FullName, "Samsa.Server", configuration, "Samsa.Server.dll");
        return File.Exists(dll)
            ? dll
            : throw new FileNotFoundException($"Samsa.Server is not built for '{configuration}'; the test project must reference it (ReferenceOutputAssembly=false).", dll);
    }

    /// <summary>The repository's root: the folder above the test's output that holds Samsa.slnx.</summary>
    public static string RepoRoot()
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

    [GeneratedRegex(@"Awaiting socket connections on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
