using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Samsa.Testing;

namespace Samsa.Cli.Tests;

/// <summary>
/// config/cluster: three ZooKeeper servers and three brokers that fit together on one machine, and
/// the ZooKeeper files really form an ensemble when started with bin/zookeeper-server-start.sh
/// (run here on copies moved to free ports and a temp folder, so nothing collides with a user's cluster).
/// </summary>
public sealed class ClusterConfigTests
{
    private static string ClusterDir => Path.Combine(ScriptRun.RepoRoot, "config", "cluster");

    [Fact]
    public void The_cluster_files_describe_one_ensemble_and_three_brokers_on_distinct_ports()
    {
        var ports = new HashSet<string>(StringComparer.Ordinal);
        for (int n = 1; n <= 3; n++)
        {
            Dictionary<string, string> zk = Read(Path.Combine(ClusterDir, $"zookeeper{n}.properties"));
            Assert.Equal((2180 + n).ToString(CultureInfo.InvariantCulture), zk["clientPort"]);
            Assert.Equal($"/tmp/samsa-cluster/zookeeper{n}", zk["dataDir"]);
            Assert.Equal("false", zk["admin.enableServer"]);
            Assert.Equal("5", zk["initLimit"]);
            Assert.Equal("2", zk["syncLimit"]);
            Assert.Contains($"# samsa.myid={n}", File.ReadAllLines(Path.Combine(ClusterDir, $"zookeeper{n}.properties")));
            for (int peer = 1; peer <= 3; peer++)
            {
                Assert.Equal($"127.0.0.1:{2887 + peer}:{3887 + peer}", zk[$"server.{peer}"]);
            }

            Assert.True(ports.Add(zk["clientPort"]));
            Dictionary<string, string> broker = Read(Path.Combine(ClusterDir, $"server{n}.properties"));
            Assert.Equal(n.ToString(CultureInfo.InvariantCulture), broker["broker.id"]);
            Assert.Equal($"PLAINTEXT://localhost:{9091 + n}", broker["listeners"]);
            Assert.Equal($"/tmp/samsa-cluster/kafka{n}", broker["log.dirs"]);
            Assert.Equal("localhost:2181,localhost:2182,localhost:2183", broker["zookeeper.connect"]);
            Assert.Equal("3", broker["offsets.topic.replication.factor"]);
            Assert.True(ports.Add(broker["listeners"]));
        }
    }

    [Fact]
    public async Task The_cluster_zookeeper_files_start_an_ensemble_that_stops_by_its_pid_files()
    {
        using var dir = new TempDirectory("zk-ensemble");
        int[] clientPorts = [ScriptRun.FreePort(), ScriptRun.FreePort(), ScriptRun.FreePort()];
        string[] quorum = [$"127.0.0.1:{ScriptRun.FreePort()}:{ScriptRun.FreePort()}", $"127.0.0.1:{ScriptRun.FreePort()}:{ScriptRun.FreePort()}", $"127.0.0.1:{ScriptRun.FreePort()}:{ScriptRun.FreePort()}"];
        var configs = new string[3];
        for (int i = 0; i < 3; i++)
        {
            // The shipped file, with only its ports and folder moved.
            string text = File.ReadAllText(Path.Combine(ClusterDir, $"zookeeper{i + 1}.properties"))
                .Replace("/tmp/samsa-cluster", dir.Path, StringComparison.Ordinal)
                .Replace($"clientPort={2181 + i}", $"clientPort={clientPorts[i]}", StringComparison.Ordinal);
            for (int peer = 0; peer < 3; peer++)
            {
                text = text.Replace($"server.{peer + 1}=127.0.0.1:{2888 + peer}:{3888 + peer}", $"server.{peer + 1}={quorum[peer]}", StringComparison.Ordinal);
            }

            configs[i] = dir.Combine($"zookeeper{i + 1}.properties");
            File.WriteAllText(configs[i], text);
        }

        var env = new Dictionary<string, string> { ["LOG_DIR"] = dir.Combine("logs"), ["KAFKA_HEAP_OPTS"] = "-Xmx96m -XX:+UseSerialGC" };
        var pids = new List<int>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var started = await ScriptRun.RunAsync("zookeeper-server-start.sh", env, "-daemon", configs[i]);
                Assert.True(started.ExitCode == 0, started.Stderr);
                pids.Add(int.Parse(File.ReadAllText(dir.Combine("logs", $"zookeeper-zookeeper{i + 1}.pid")).Trim(), CultureInfo.InvariantCulture));
                Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), File.ReadAllText(dir.Combine($"zookeeper{i + 1}", "myid")).Trim());
            }

            var modes = new string[3];
            bool formed = await Polling.TryUntilAsync(() =>
            {
                for (int i = 0; i < 3; i++)
                {
                    modes[i] = ModeOf(clientPorts[i]);
                }

                return modes.Count(m => m == "leader") == 1 && modes.Count(m => m == "follower") == 2;
            }, TimeSpan.FromSeconds(60));
            Assert.True(formed, "modes: " + string.Join(", ", modes));

            var stopOne = await ScriptRun.RunAsync("zookeeper-server-stop.sh", env, configs[2]);
            Assert.True(stopOne.ExitCode == 0, stopOne.Stdout + stopOne.Stderr);
            Assert.False(ScriptRun.IsRunning(pids[2]));
            Assert.True(ScriptRun.IsRunning(pids[0]) && ScriptRun.IsRunning(pids[1]));

            var stopAll = await ScriptRun.RunAsync("zookeeper-server-stop.sh", env);
            Assert.True(stopAll.ExitCode == 0, stopAll.Stdout + stopAll.Stderr);
            Assert.False(ScriptRun.IsRunning(pids[0]) || ScriptRun.IsRunning(pids[1]));
            Assert.Empty(Directory.GetFiles(dir.Combine("logs"), "*.pid"));
        }
        finally
        {
            foreach (int pid in pids)
            {
                ScriptRun.KillIfRunning(pid);
            }
        }
    }

    private static Dictionary<string, string> Read(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (line.Length > 0 && line[0] != '#' && equals > 0)
            {
                values[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return values;
    }

    /// <summary>"leader", "follower", "standalone", or "" while the server does not answer with a mode.</summary>
    private static string ModeOf(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.ReceiveTimeout = 3000;
            client.Connect("127.0.0.1", port);
            using NetworkStream stream = client.GetStream();
            stream.Write(Encoding.ASCII.GetBytes("srvr"));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            foreach (string line in reader.ReadToEnd().Split('\n'))
            {
                if (line.StartsWith("Mode: ", StringComparison.Ordinal))
                {
                    return line["Mode: ".Length..].Trim();
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
        }

        return "";
    }
}
