using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Samsa.Testing;

/// <summary>
/// A real Apache ZooKeeper ensemble (1 or 3 servers) running as child JVMs of the test: each server
/// gets a directory of its own under one <see cref="TempDirectory"/> (zoo.cfg, myid, data, log) and
/// three free loopback ports (client, quorum, election). Started with
/// <c>java -cp zookeeper.jar:slf4j-simple.jar org.apache.zookeeper.server.quorum.QuorumPeerMain zoo.cfg</c>
/// from the Debian package <c>zookeeper</c> (3.8; <c>./test.sh</c> installs it when missing). The JVMs
/// are kept small (128 MiB heap, serial GC, C1 only) and ticks short so elections and session
/// expiry are quick. Servers are only ever stopped by their own process id.
/// </summary>
public sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    /// <summary>Where the Debian package puts the server jar; its manifest's Class-Path names the dependencies.</summary>
    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    /// <summary>An slf4j binding, so the server logs to a file instead of warning about a missing one.</summary>
    public const string Slf4jSimpleJar = "/usr/share/java/slf4j-simple.jar";

    /// <summary>ZooKeeper's tick: sessions may last 2..120 ticks; short ticks make expiry tests fast.</summary>
    public const int TickTimeMs = 500;

    /// <summary>How long starting (or restarting) servers may take until each serves clients.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>How long a first start may take before it is retried on other ports.</summary>
    public static readonly TimeSpan FirstStartTimeout = TimeSpan.FromSeconds(40);

    private const int MaxTailLines = 200;

    private readonly TempDirectory _root;
    private readonly Server[] _servers;
    private bool _disposed;

    private ZooKeeperEnsemble(TempDirectory root, Server[] servers)
    {
        _root = root;
        _servers = servers;
    }

    /// <summary>Number of servers.</summary>
    public int Count => _servers.Length;

    /// <summary>Every server's client address, "127.0.0.1:p1,127.0.0.1:p2,...", for a ZooKeeper client.</summary>
    public string ConnectString
    {
        get
        {
            var builder = new StringBuilder();
            for (int i = 0; i < _servers.Length; i++)
            {
                if (i > 0)
                {
                    builder.Append(',');
                }

                builder.Append(ServerAddress(i));
            }

            return builder.ToString();
        }
    }

    /// <summary>Server <paramref name="index"/>'s client address, "127.0.0.1:port".</summary>
    public string ServerAddress(int index) => "127.0.0.1:" + _servers[index].ClientPort.ToString(CultureInfo.InvariantCulture);

    public int ClientPort(int index) => _servers[index].ClientPort;

    /// <summary>The index of the server with client address <paramref name="serverAddress"/> ("127.0.0.1:port"), or -1.</summary>
    public int IndexOf(string serverAddress)
    {
        for (int i = 0; i < _servers.Length; i++)
        {
            if (ServerAddress(i) == serverAddress)
            {
                return i;
            }
        }

        return -1;
    }

    public bool IsRunning(int index) => _servers[index].Process is { HasExited: false };

    /// <summary>Server <paramref name="index"/>'s JVM process id (0 when it is not running), to signal it by id.</summary>
    public int ProcessId(int index) => _servers[index].Process is { HasExited: false } process ? process.Id : 0;

    /// <summary>
    /// Starts <paramref name="serverCount"/> servers (1: standalone; 3: a quorum) and returns once
    /// every one of them serves clients (answers the <c>srvr</c> command with its mode).
    /// </summary>
    public static async Task<ZooKeeperEnsemble> StartAsync(int serverCount = 3, CancellationToken cancellationToken = default)
    {
        if (serverCount is not (1 or 3 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(serverCount), serverCount, "An ensemble has 1, 3 or 5 servers.");
        }

        EnsureInstalled();

        // A free port is only free when it is picked: until the JVM binds it, any process on the
        // machine (another test's ensemble or broker, an outgoing connection) may take it. A start
        // that does not come up is retried from scratch on new ports.
        const int attempts = 3;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnFreePortsAsync(serverCount, attempt < attempts ? FirstStartTimeout : StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (attempt < attempts && e is TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                // Retried below with new ports and a new directory.
            }
        }
    }

    private static async Task<ZooKeeperEnsemble> StartOnFreePortsAsync(int serverCount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var root = new TempDirectory("zookeeper");
        int[] ports = FreePorts(serverCount * 3);
        var servers = new Server[serverCount];
        for (int i = 0; i < serverCount; i++)
        {
            servers[i] = new Server(i + 1, Path.Combine(root.Path, "zk" + (i + 1).ToString(CultureInfo.InvariantCulture)), ports[i * 3], ports[(i * 3) + 1], ports[(i * 3) + 2]);
        }

        var ensemble = new ZooKeeperEnsemble(root, servers);
        try
        {
            foreach (Server server in servers)
            {
                ensemble.WriteConfig(server);
                Launch(server);
            }

            for (int i = 0; i < serverCount; i++)
            {
                await ensemble.WaitUntilServingAsync(i, timeout, cancellationToken).ConfigureAwait(false);
            }

            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A crash of server <paramref name="index"/>: SIGKILL to its process id, then wait for it to be gone.</summary>
    public void Kill(int index)
    {
        Process? process = _servers[index].Process;
        if (process is null || process.HasExited)
        {
            return;
        }

        process.Kill(entireProcessTree: false);
        process.WaitForExit();
    }

    /// <summary>Starts server <paramref name="index"/> again (killing it first if it runs) with the same ports and data.</summary>
    public async Task RestartAsync(int index, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Kill(index);
        Launch(_servers[index]);
        await WaitUntilServingAsync(index, StartTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until server <paramref name="index"/> answers <c>srvr</c> with its mode (leader, follower or standalone).</summary>
    public async Task WaitUntilServingAsync(int index, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        Server server = _servers[index];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        string last = "(no answer)";
        while (true)
        {
            if (server.Process is null || server.Process.HasExited)
            {
                throw new InvalidOperationException($"ZooKeeper server {server.Id} exited during start-up.\n{Tail(index)}");
            }

            try
            {
                last = await FourLetterWordAsync(index, "srvr", deadline.Token).ConfigureAwait(false);
                if (last.Contains("Mode: ", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                last = e.Message;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(100, deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }
        }

        // Says whether the JVM still runs and whether anything listens on its client port: a
        // refused connect to a live JVM that logged its bind was seen once under heavy load.
        string state = server.Process is { HasExited: false } alive ? $"JVM pid {alive.Id} alive" : "JVM gone";
        throw new TimeoutException($"ZooKeeper server {server.Id} did not serve within {timeout.TotalSeconds} s; last srvr answer: {last}; {state}; port {server.ClientPort} listening: {IsListening(server.ClientPort)}\n{Tail(index)}");
    }

    /// <summary>Whether a TCP socket listens on <paramref name="port"/>, from /proc/net/tcp (Linux); null elsewhere.</summary>
    private static bool? IsListening(int port)
    {
        const string table = "/proc/net/tcp";
        if (!File.Exists(table))
        {
            return null;
        }

        // Columns: sl local_address rem_address st ...; local is HEXIP:HEXPORT, state 0A is LISTEN.
        string suffix = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (string line in File.ReadLines(table))
        {
            string[] columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length > 3 && columns[1].EndsWith(suffix, StringComparison.Ordinal) && columns[3] == "0A")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends a four-letter command (ruok, srvr, stat, mntr...) to server <paramref name="index"/> and returns its answer.</summary>
    public async Task<string> FourLetterWordAsync(int index, string command, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, _servers[index].ClientPort, cancellationToken).ConfigureAwait(false);
        if (client.Client.LocalEndPoint is IPEndPoint local && local.Equals(client.Client.RemoteEndPoint))
        {
            // TCP simultaneous open on a dead loopback port: the socket got that port and connected
            // to itself, holding the port the server is about to bind. Let it go at once.
            throw new IOException($"Connected to itself at {local}: the server is not listening");
        }

        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command), cancellationToken).ConfigureAwait(false);
        client.Client.Shutdown(SocketShutdown.Send);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The mode server <paramref name="index"/> reports (leader, follower, standalone), or null if it does not serve.</summary>
    public async Task<string?> ModeAsync(int index, CancellationToken cancellationToken = default)
    {
        try
        {
            string answer = await FourLetterWordAsync(index, "srvr", cancellationToken).ConfigureAwait(false);
            int at = answer.IndexOf("Mode: ", StringComparison.Ordinal);
            if (at < 0)
            {
                return null;
            }

            int end = answer.IndexOf('\n', at);
            return answer[(at + 6)..(end < 0 ? answer.Length : end)].Trim();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>The last lines server <paramref name="index"/> wrote (stdout, stderr and its log file), for failure messages.</summary>
    public string Tail(int index)
    {
        Server server = _servers[index];
        var builder = new StringBuilder();
        builder.Append("--- zookeeper ").Append(server.Id).AppendLine(" output ---");
        lock (server.OutputTail)
        {
            foreach (string line in server.OutputTail)
            {
                builder.AppendLine(line);
            }
        }

        string log = Path.Combine(server.Directory, "server.log");
        if (File.Exists(log))
        {
            try
            {
                string[] lines = File.ReadAllLines(log);
                builder.Append("--- zookeeper ").Append(server.Id).AppendLine(" log (tail) ---");
                for (int i = Math.Max(0, lines.Length - 60); i < lines.Length; i++)
                {
                    builder.AppendLine(lines[i]);
                }
            }
            catch (IOException)
            {
            }
        }

        return builder.ToString();
    }

    /// <summary>Kills every server (by process id). The data stays until dispose.</summary>
    public Task StopAsync()
    {
        for (int i = 0; i < _servers.Length; i++)
        {
            Kill(i);
        }

        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await StopAsync().ConfigureAwait(false);
        foreach (Server server in _servers)
        {
            server.Process?.Dispose();
        }

        _root.Dispose();
    }

    private static void EnsureInstalled()
    {
        if (!File.Exists(ZooKeeperJar))
        {
            throw new InvalidOperationException(
                $"Apache ZooKeeper is not installed ({ZooKeeperJar} is missing). Run ./test.sh, which installs it, " +
                "or install the Debian package yourself: sudo apt-get update && sudo apt-get install -y zookeeper");
        }

        if (!File.Exists(JavaPath()))
        {
            throw new InvalidOperationException($"Java is required to run ZooKeeper ({JavaPath()} is missing); the Debian package zookeeper depends on it.");
        }
    }

    private static string JavaPath()
    {
        string? home = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(home) && File.Exists(Path.Combine(home, "bin", "java")))
        {
            return Path.Combine(home, "bin", "java");
        }

        return "/usr/bin/java";
    }

    /// <summary>Distinct free loopback ports: all listeners stay open until every port is picked.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new TcpListener[count];
        var ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
                ports[i] = ((IPEndPoint)listeners[i].LocalEndpoint).Port;
            }
        }
        finally
        {
            foreach (TcpListener? listener in listeners)
            {
                listener?.Stop();
            }
        }

        return ports;
    }

    private void WriteConfig(Server server)
    {
        Directory.CreateDirectory(Path.Combine(server.Directory, "data"));
        File.WriteAllText(Path.Combine(server.Directory, "data", "myid"), server.Id.ToString(CultureInfo.InvariantCulture) + "\n");
        var config = new StringBuilder();
        config.Append("tickTime=").Append(TickTimeMs).AppendLine();
        config.AppendLine("initLimit=20");
        config.AppendLine("syncLimit=10");
        config.Append("dataDir=").AppendLine(Path.Combine(server.Directory, "data"));
        config.Append("clientPort=").Append(server.ClientPort).AppendLine();
        config.AppendLine("clientPortAddress=127.0.0.1");
        // ZooKeeper's default ceiling is 20 ticks (10 s here); Kafka's default session is 18 s.
        config.AppendLine("minSessionTimeout=1000");
        config.AppendLine("maxSessionTimeout=60000");
        config.AppendLine("admin.enableServer=false");
        config.AppendLine("4lw.commands.whitelist=*");
        // Tests do not need fsync or 64 MiB preallocated transaction logs.
        config.AppendLine("forceSync=no");
        config.AppendLine("preAllocSize=1024");
        config.AppendLine("autopurge.purgeInterval=0");
        if (_servers.Length > 1)
        {
            foreach (Server peer in _servers)
            {
                config.Append("server.").Append(peer.Id).Append("=127.0.0.1:").Append(peer.PeerPort).Append(':').Append(peer.ElectionPort).AppendLine();
            }
        }

        File.WriteAllText(Path.Combine(server.Directory, "zoo.cfg"), config.ToString());
    }

    private static void Launch(Server server)
    {
        server.Process?.Dispose();
        var start = new ProcessStartInfo(JavaPath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
            WorkingDirectory = server.Directory,
        };
        foreach (string option in new[]
        {
            "-Xmx128m", "-Xms32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k", "-XX:-UsePerfData",
            "-Djava.awt.headless=true", "-Dzookeeper.admin.enableServer=false", "-Dzookeeper.jmx.log4j.disable=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.logFile=" + Path.Combine(server.Directory, "server.log"),
            "-cp", ZooKeeperJar + ":" + Slf4jSimpleJar,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            Path.Combine(server.Directory, "zoo.cfg"),
        })
        {
            start.ArgumentList.Add(option);
        }

        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"ZooKeeper server {server.Id} did not start.");
        }

        server.Process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    private sealed class Server(int id, string directory, int clientPort, int peerPort, int electionPort)
    {
        public int Id { get; } = id;

        public string Directory { get; } = directory;

        public int ClientPort { get; } = clientPort;

        public int PeerPort { get; } = peerPort;

        public int ElectionPort { get; } = electionPort;

        public Process? Process { get; set; }

        public Queue<string> OutputTail { get; } = new();

        public void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (OutputTail)
            {
                OutputTail.Enqueue(line);
                if (OutputTail.Count > MaxTailLines)
                {
                    OutputTail.Dequeue();
                }
            }
        }
    }
}
