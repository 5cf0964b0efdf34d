using System.Globalization;

namespace Samsa.Storage.CrashWriter;

/// <summary>
/// What one crash-writer run does, passed on its command line as <c>--name value</c> pairs. The
/// test builds these, turns them into arguments with <see cref="ToArguments"/>, and opens the log
/// with the same <see cref="ToLogConfig"/> the writer used. Shared with the crash tests as a linked
/// source file.
/// </summary>
internal sealed record CrashWriterSettings
{
    public static readonly TopicPartition Partition = new("crash", 0);

    public required string LogDir { get; init; }

    /// <summary>Seeds the writer's choice of batch shapes (values are self-describing either way).</summary>
    public int Seed { get; init; }

    /// <summary>The leader epoch stamped on every batch of this run.</summary>
    public int LeaderEpoch { get; init; }

    public int SegmentBytes { get; init; } = 256 * 1024;

    public int SegmentIndexBytes { get; init; } = 1024;

    public int IndexIntervalBytes { get; init; } = 1024;

    /// <summary><c>flush.messages</c> of the topic; long.MaxValue (Kafka's default) leaves it to the page cache.</summary>
    public long FlushMessages { get; init; } = long.MaxValue;

    /// <summary>Call Flush and write the log dir's checkpoints every this many appends; 0 never.</summary>
    public int FlushEvery { get; init; }

    /// <summary>Stop after this many appends and shut down cleanly; 0 runs until killed.</summary>
    public int MaxAppends { get; init; }

    /// <summary>
    /// Print <c>recovering &lt;n&gt;</c> while the log dir opens, each time the partition holds more
    /// index files than before: recovery rebuilds them one segment at a time, so after deleting
    /// them a test sees recovery under way and how far it got.
    /// </summary>
    public bool ReportRecovery { get; init; }

    public LogConfig ToLogConfig() => LogConfig.Default with
    {
        SegmentBytes = SegmentBytes,
        SegmentIndexBytes = SegmentIndexBytes,
        IndexIntervalBytes = IndexIntervalBytes,
        FlushMessages = FlushMessages,
    };

    public string[] ToArguments() =>
    [
        "--dir", LogDir,
        "--seed", Format(Seed),
        "--epoch", Format(LeaderEpoch),
        "--segment-bytes", Format(SegmentBytes),
        "--segment-index-bytes", Format(SegmentIndexBytes),
        "--index-interval-bytes", Format(IndexIntervalBytes),
        "--flush-messages", Format(FlushMessages),
        "--flush-every", Format(FlushEvery),
        "--max-appends", Format(MaxAppends),
        "--report-recovery", ReportRecovery ? "true" : "false",
    ];

    /// <exception cref="ArgumentException">An unknown name, a missing value, or no --dir.</exception>
    public static CrashWriterSettings Parse(string[] args)
    {
        var settings = new CrashWriterSettings { LogDir = "" };
        for (int i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"Missing value for {args[i]}.", nameof(args));
            }

            string value = args[i + 1];
            settings = args[i] switch
            {
                "--dir" => settings with { LogDir = value },
                "--seed" => settings with { Seed = int.Parse(value, CultureInfo.InvariantCulture) },
                "--epoch" => settings with { LeaderEpoch = int.Parse(value, CultureInfo.InvariantCulture) },
                "--segment-bytes" => settings with { SegmentBytes = int.Parse(value, CultureInfo.InvariantCulture) },
                "--segment-index-bytes" => settings with { SegmentIndexBytes = int.Parse(value, CultureInfo.InvariantCulture) },
                "--index-interval-bytes" => settings with { IndexIntervalBytes = int.Parse(value, CultureInfo.InvariantCulture) },
                "--flush-messages" => settings with { FlushMessages = long.Parse(value, CultureInfo.InvariantCulture) },
                "--flush-every" => settings with { FlushEvery = int.Parse(value, CultureInfo.InvariantCulture) },
                "--max-appends" => settings with { MaxAppends = int.Parse(value, CultureInfo.InvariantCulture) },
                "--report-recovery" => settings with { ReportRecovery = bool.Parse(value) },
                _ => throw new ArgumentException($"Unknown option {args[i]}.", nameof(args)),
            };
        }

        if (settings.LogDir.Length == 0)
        {
            throw new ArgumentException("--dir is required.", nameof(args));
        }

        return settings;
    }

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
