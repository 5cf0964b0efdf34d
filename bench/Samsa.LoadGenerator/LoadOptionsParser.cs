using System.Globalization;

namespace Samsa.LoadGenerator;

/// <summary>
/// The command line: <c>produce|fetch|produce-fetch --bootstrap-server host:port [--option value]...</c>.
/// Errors come back as text for the usage message, not as exceptions.
/// </summary>
internal static class LoadOptionsParser
{
    public const string Usage = """
        Usage: loadgen.sh <produce|fetch|produce-fetch> --bootstrap-server HOST:PORT [options]

        Sends pre-encoded Produce and Fetch requests over pipelined connections and reports what the
        broker sustained. No Kafka client library: the figures are the broker's, not a client's.

          --topic NAME               topic (created with --partitions if missing)   [samsa-loadgen]
          --partitions N             partitions of a created topic; one batch each per request  [1]
          --replication-factor N     replication factor of a created topic            [1]
          --connections N            connections                                      [2]
          --in-flight N              requests outstanding per connection              [4]
          --duration SECONDS         length of each phase; 0 = until --requests       [10]
          --requests N               requests per phase over all connections          [no limit]
          --warmup SECONDS           unmeasured run of each phase first (JIT tier-up)  [0]
          --acks 0|1|-1              Produce acks                                     [-1]
          --record-size BYTES        value size of each record (null key)             [1024]
          --batch-records N          records per batch                                [1000]
          --produce-version V        Produce version, 9-12                            [9]
          --produce-timeout-ms MS    Produce request timeout                          [30000]
          --fetch-version V          Fetch version, 12-16                             [12]
          --fetch-max-bytes BYTES    Fetch MaxBytes (each partition gets an equal share)  [4194304]
          --fetch-session none|incremental   sessionless full fetches, or KIP-227 sessions  [none]
          --fetch-passes N           stop fetching after N passes over the log; 0 = no limit  [0]
          --client-id ID             client id in request headers                    [samsa-loadgen]
        """;

    public static bool TryParse(IReadOnlyList<string> args, out LoadOptions options, out string error)
    {
        ArgumentNullException.ThrowIfNull(args);
        options = new LoadOptions();
        error = string.Empty;
        if (args.Count == 0)
        {
            error = "Name a mode: produce, fetch or produce-fetch.";
            return false;
        }

        LoadMode mode;
        switch (args[0])
        {
            case "produce":
                mode = LoadMode.Produce;
                break;
            case "fetch":
                mode = LoadMode.Fetch;
                break;
            case "produce-fetch":
                mode = LoadMode.ProduceFetch;
                break;
            default:
                error = $"Unknown mode '{args[0]}': use produce, fetch or produce-fetch.";
                return false;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Count; i++)
        {
            string name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = $"Expected --option value, got '{name}'.";
                return false;
            }

            values[name[2..]] = args[++i];
        }

        var reader = new OptionValues(values);
        if (!values.TryGetValue("bootstrap-server", out string? bootstrap))
        {
            error = "--bootstrap-server is required.";
            return false;
        }

        int colon = bootstrap.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(bootstrap.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"--bootstrap-server must be HOST:PORT, got '{bootstrap}'.";
            return false;
        }

        values.Remove("bootstrap-server");
        double durationSeconds = reader.Double("duration", 10);
        string session = reader.Text("fetch-session", "none");
        options = new LoadOptions
        {
            Mode = mode,
            Host = bootstrap[..colon],
            Port = port,
            Topic = reader.Text("topic", "samsa-loadgen"),
            Partitions = reader.Int("partitions", 1, 1, 100_000),
            ReplicationFactor = (short)reader.Int("replication-factor", 1, 1, short.MaxValue),
            Connections = reader.Int("connections", 2, 1, 1024),
            InFlight = reader.Int("in-flight", 4, 1, 1024),
            Duration = durationSeconds > 0 ? TimeSpan.FromSeconds(durationSeconds) : null,
            Warmup = TimeSpan.FromSeconds(reader.Double("warmup", 0)),
            Requests = values.ContainsKey("requests") ? reader.Long("requests", 0, 1, long.MaxValue) : null,
            Acks = (short)reader.Int("acks", -1, -1, 1),
            RecordSize = reader.Int("record-size", 1024, 0, 64 * 1024 * 1024),
            BatchRecords = reader.Int("batch-records", 1000, 1, 10_000_000),
            ProduceVersion = (short)reader.Int("produce-version", LoadOptions.DefaultProduceVersion, 9, 12),
            ProduceTimeoutMs = reader.Int("produce-timeout-ms", 30_000, 0, int.MaxValue),
            FetchVersion = (short)reader.Int("fetch-version", LoadOptions.DefaultFetchVersion, 12, 16),
            FetchMaxBytes = reader.Int("fetch-max-bytes", 4 * 1024 * 1024, 1, 1024 * 1024 * 1024),
            IncrementalFetch = session == "incremental",
            FetchPasses = reader.Int("fetch-passes", 0, 0, int.MaxValue),
            ClientId = reader.Text("client-id", "samsa-loadgen"),
        };

        if (reader.Error is not null)
        {
            error = reader.Error;
            return false;
        }

        if (session is not ("none" or "incremental"))
        {
            error = $"--fetch-session must be none or incremental, got '{session}'.";
            return false;
        }

        if (options.Duration is null && options.Requests is null && !(mode != LoadMode.Produce && options.FetchPasses > 0))
        {
            error = "With --duration 0, give --requests (or --fetch-passes for fetch) so the run ends.";
            return false;
        }

        foreach (string name in values.Keys)
        {
            if (!reader.Known(name))
            {
                error = $"Unknown option --{name}.";
                return false;
            }
        }

        return true;
    }

    /// <summary>Typed reads of the option map that remember the first bad value.</summary>
    private sealed class OptionValues(Dictionary<string, string> values)
    {
        private readonly HashSet<string> _known = new(StringComparer.Ordinal) { "requests" };

        public string? Error { get; private set; }

        public bool Known(string name) => _known.Contains(name);

        public string Text(string name, string fallback)
        {
            _known.Add(name);
            return values.TryGetValue(name, out string? value) ? value : fallback;
        }

        public int Int(string name, int fallback, int min, int max) => (int)Long(name, fallback, min, max);

        public long Long(string name, long fallback, long min, long max)
        {
            _known.Add(name);
            if (!values.TryGetValue(name, out string? text))
            {
                return fallback;
            }

            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) && value >= min && value <= max)
            {
                return value;
            }

            Error ??= $"--{name} must be an integer from {min} to {max}, got '{text}'.";
            return fallback;
        }

        public double Double(string name, double fallback)
        {
            _known.Add(name);
            if (!values.TryGetValue(name, out string? text))
            {
                return fallback;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && value >= 0 && value <= TimeSpan.MaxValue.TotalSeconds)
            {
                return value;
            }

            Error ??= $"--{name} must be a number of seconds, got '{text}'.";
            return fallback;
        }
    }
}
