using System.Globalization;

namespace Samsa.Alternatives;

/// <summary>The command line: <c>mock-consume|nats|redis [--option value]...</c>; errors come back as text.</summary>
internal static class AlternativeOptionsParser
{
    public const string Usage = """
        Usage: Samsa.Alternatives <mock-consume|nats|redis> [options]

        bench/run.sh's baselines that need a client of their own. Prints one result line:
        "N records, R records/sec (M MB/sec), T ms" (MB = 10^6 bytes of values).

          mock-consume   fill librdkafka's in-process mock cluster, then consume it with the settings of
                         kafka-consumer-perf-test (fetch time only)
          nats           publish to a JetStream stream (file storage) with NATS.Net
          redis          XADD to a stream over raw RESP connections, pipelined

          --server ADDR        nats://host:port or host:port (nats, redis)
          --record-size BYTES  value size                                        [100]
          --records N          records                                           [1000000]
          --partitions N       mock topic partitions (mock-consume)              [1]
          --window N           nats: acks outstanding [4096]; redis: commands per pipelined write [64]
          --connections N      redis connections                                 [8]
          --name NAME          topic or stream name                              [samsa-bench]
          --consumer-config F  mock-consume: consumer properties file (key=value lines) applied over
                               the perf-test settings, as kafka-consumer-perf-test --consumer.config
        """;

    public static bool TryParse(IReadOnlyList<string> args, out AlternativeOptions? options, out string error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = null;
        error = string.Empty;
        if (args.Count == 0)
        {
            error = "Name a mode: mock-consume, nats or redis.";
            return false;
        }

        AlternativeMode mode;
        switch (args[0])
        {
            case "mock-consume":
                mode = AlternativeMode.MockConsume;
                break;
            case "nats":
                mode = AlternativeMode.Nats;
                break;
            case "redis":
                mode = AlternativeMode.Redis;
                break;
            default:
                error = $"Unknown mode '{args[0]}'.";
                return false;
        }

        string server = string.Empty;
        string name = "samsa-bench";
        long recordSize = 100;
        long records = 1_000_000;
        long partitions = 1;
        long window = mode == AlternativeMode.Nats ? 4096 : 64;
        long connections = 8;
        string consumerConfig = string.Empty;
        for (int i = 1; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                error = $"Option {args[i]} needs a value.";
                return false;
            }

            string value = args[i + 1];
            bool ok = args[i] switch
            {
                "--server" => Text(value, out server),
                "--name" => Text(value, out name),
                "--record-size" => Number(value, 1, 1 << 20, out recordSize),
                "--records" => Number(value, 1, long.MaxValue, out records),
                "--partitions" => Number(value, 1, 1000, out partitions),
                "--window" => Number(value, 1, 1 << 20, out window),
                "--connections" => Number(value, 1, 1000, out connections),
                "--consumer-config" => File.Exists(value) && Text(value, out consumerConfig),
                _ => false,
            };
            if (!ok)
            {
                error = $"Bad option or value: {args[i]} {value}";
                return false;
            }
        }

        if (mode != AlternativeMode.MockConsume && server.Length == 0)
        {
            error = "--server is required for nats and redis.";
            return false;
        }

        options = new AlternativeOptions
        {
            Mode = mode,
            Server = server,
            Name = name,
            RecordSize = (int)recordSize,
            Records = records,
            Partitions = (int)partitions,
            Window = (int)window,
            Connections = (int)connections,
            ConsumerConfig = consumerConfig,
        };
        return true;
    }

    private static bool Text(string value, out string result)
    {
        result = value;
        return value.Length > 0;
    }

    private static bool Number(string value, long min, long max, out long result) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result >= min && result <= max;
}
