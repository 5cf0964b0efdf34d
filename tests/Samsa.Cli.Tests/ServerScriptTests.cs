using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// bin/kafka-server-start.sh -daemon with bin/kafka-server-stop.sh, and bin/zookeeper-server-start.sh
/// -daemon with bin/zookeeper-server-stop.sh: detached servers found again through their pid files,
/// stopped gracefully by pid. Every server here gets its own LOG_DIR, data dir and loopback ports.
/// </summary>
public sealed partial class ServerScriptTests
{
    [Fact]
    public async Task A_daemon_broker_runs_detached_serves_clients_and_stops_by_its_pid_file()
    {
        using var dir = new TempDirectory("daemon");
        var env = new Dictionary<string, string> { ["LOG_DIR"] = dir.Combine("logs"), ["SAMSA_START_WAIT"] = "45" };
        string pidFile = dir.Combine("logs", "kafka-server.pid");
        int pid = 0;
        try
        {
            var started = await ScriptRun.RunAsync("kafka-server-start.sh", env, "-daemon", "config/server.properties",
                "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "log.dirs=" + dir.Combine("data"));
            Assert.True(started.ExitCode == 0, started.Stderr);
            Assert.Equal("", started.Stdout);

            pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            Assert.True(ScriptRun.IsRunning(pid));
            string log = File.ReadAllText(dir.Combine("logs", "server.log"));
            Assert.Contains("[KafkaServer id=0] started", log, StringComparison.Ordinal);
            string bootstrap = "127.0.0.1:" + ListeningLine().Match(log).Groups[1].Value;

            var created = await ToolRun.RunAsync("kafka-topics", null, "--create", "--bootstrap-server", bootstrap, "--topic", "daemon-t");
            Assert.Equal((0, "Created topic daemon-t.\n"), (created.ExitCode, created.Stdout));

            var again = await ScriptRun.RunAsync("kafka-server-start.sh", env, "-daemon", "config/server.properties",
                "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "log.dirs=" + dir.Combine("data"));
            Assert.Equal(1, again.ExitCode);
            Assert.Contains($"'server' is already running (pid {pid}", again.Stderr, StringComparison.Ordinal);

            var stopped = await ScriptRun.RunAsync("kafka-server-stop.sh", env);
            Assert.True(stopped.ExitCode == 0, stopped.Stdout + stopped.Stderr);
            Assert.False(ScriptRun.IsRunning(pid));
            Assert.False(File.Exists(pidFile));
            Assert.Contains("shut down completed", File.ReadAllText(dir.Combine("logs", "server.log")), StringComparison.Ordinal);

            var nothing = await ScriptRun.RunAsync("kafka-server-stop.sh", env);
            Assert.Equal((1, "No kafka server to stop\n"), (nothing.ExitCode, nothing.Stdout));
        }
        finally
        {
            ScriptRun.KillIfRunning(pid);
        }
    }

    [Fact]
    public async Task A_daemon_broker_that_cannot_start_is_reported_with_its_log()
    {
        using var dir = new TempDirectory("daemon-bad");
        var env = new Dictionary<string, string> { ["LOG_DIR"] = dir.Combine("logs") };
        var run = await ScriptRun.RunAsync("kafka-server-start.sh", env, "-daemon", "config/server.properties",
            "--override", "listeners=PLAINTEXT://127.0.0.1:0", "--override", "log.dirs=" + dir.Combine("data"), "--override", "num.partitions=zero");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("'server' exited during start-up", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("num.partitions", run.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.Combine("logs", "kafka-server.pid")));
    }

    [Fact]
    public async Task Zookeeper_starts_as_a_daemon_with_myid_from_the_config_and_stops_by_its_pid_file()
    {
        using var dir = new TempDirectory("zk");
        int clientPort = ScriptRun.FreePort();
        string config = dir.Combine("zk-test.properties");
        string dataDir = dir.Combine("data");
        // One server.N line: ZooKeeper runs it standalone, yet the script still writes myid from the hint.
        File.WriteAllText(config, string.Join('\n',
            "# samsa.myid=1",
            "dataDir=" + dataDir,
            "clientPort=" + clientPort.ToString(CultureInfo.InvariantCulture),
            "clientPortAddress=127.0.0.1",
            "tickTime=2000",
            "initLimit=5",
            "syncLimit=2",
            "admin.enableServer=false",
            "4lw.commands.whitelist=srvr",
            $"server.1=127.0.0.1:{ScriptRun.FreePort()}:{ScriptRun.FreePort()}",
            ""));
        var env = new Dictionary<string, string> { ["LOG_DIR"] = dir.Combine("logs"), ["KAFKA_HEAP_OPTS"] = "-Xmx128m -XX:+UseSerialGC" };
        string pidFile = dir.Combine("logs", "zookeeper-zk-test.pid");
        int pid = 0;
        try
        {
            var started = await ScriptRun.RunAsync("zookeeper-server-start.sh", env, "-daemon", config);
            Assert.True(started.ExitCode == 0, started.Stderr + File.ReadAllText(dir.Combine("logs", "zk-test.log")));
            Assert.Equal("1", File.ReadAllText(Path.Combine(dataDir, "myid")).Trim());
            pid = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);

            string srvr = "";
            Assert.True(await Polling.TryUntilAsync(() => (srvr = FourLetterWord(clientPort, "srvr")).Contains("Mode:", StringComparison.Ordinal),
                TimeSpan.FromSeconds(30)), srvr);
            Assert.Contains("Zookeeper version: 3.", srvr, StringComparison.Ordinal);

            var stopped = await ScriptRun.RunAsync("zookeeper-server-stop.sh", env);
            Assert.True(stopped.ExitCode == 0, stopped.Stdout + stopped.Stderr);
            Assert.False(ScriptRun.IsRunning(pid));
            Assert.False(File.Exists(pidFile));
            Assert.Equal("", FourLetterWord(clientPort, "srvr"));
        }
        finally
        {
            ScriptRun.KillIfRunning(pid);
        }
    }

    [Fact]
    public async Task Zookeeper_start_refuses_an_ensemble_config_without_myid_and_a_missing_package()
    {
        using var dir = new TempDirectory("zk-bad");
        string config = dir.Combine("ensemble.properties");
        File.WriteAllText(config, $"dataDir={dir.Combine("data")}\nclientPort=2181\nserver.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n");
        var env = new Dictionary<string, string> { ["LOG_DIR"] = dir.Combine("logs") };

        var noMyid = await ScriptRun.RunAsync("zookeeper-server-start.sh", env, config);
        Assert.Equal(1, noMyid.ExitCode);
        Assert.Contains($"{dir.Combine("data")}/myid is missing", noMyid.Stderr, StringComparison.Ordinal);

        env["ZOOKEEPER_JARS"] = dir.Combine("no-such-dir");
        var noPackage = await ScriptRun.RunAsync("zookeeper-server-start.sh", env, config);
        Assert.Equal(1, noPackage.ExitCode);
        Assert.Contains("Install it with: sudo apt-get install zookeeper", noPackage.Stderr, StringComparison.Ordinal);

        var usage = await ScriptRun.RunAsync("zookeeper-server-start.sh", env);
        Assert.Equal(1, usage.ExitCode);
        Assert.StartsWith("USAGE: ", usage.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Sends a ZooKeeper four-letter word and returns the reply ("" when nothing listens).</summary>
    private static string FourLetterWord(int port, string word)
    {
        try
        {
            using var client = new TcpClient();
            client.ReceiveTimeout = 5000;
            client.Connect("127.0.0.1", port);
            using NetworkStream stream = client.GetStream();
            stream.Write(Encoding.ASCII.GetBytes(word));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return "";
        }
    }

    [GeneratedRegex(@"Awaiting socket connections on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();
}
