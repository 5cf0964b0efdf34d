namespace Samsa.LoadGenerator;

/// <summary>
/// The generator's core, callable in-process (the smoke test does): prepares the topic, runs the
/// phases the mode names and writes each phase's figures to <paramref name="log"/> as it ends.
/// </summary>
internal static class LoadRunner
{
    public static async Task<LoadReport> RunAsync(LoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        bool produces = options.Mode != LoadMode.Fetch;
        bool fetches = options.Mode != LoadMode.Produce;
        TopicLayout topic = await TopicSetup.PrepareAsync(options, create: produces, log, cancellationToken);
        log.WriteLine($"loadgen {options.Mode}: {options.Describe(topic)}");

        PhaseResult? produce = null;
        LoadOptions warmup = options with { Duration = options.Warmup, Requests = null, FetchPasses = 0 };
        if (produces)
        {
            if (options.Warmup > TimeSpan.Zero)
            {
                PhaseResult warm = await ProducePhase.RunAsync(warmup, topic, cancellationToken);
                log.WriteLine($"produce warm-up: {warm.Records:N0} records in {warm.Elapsed.TotalSeconds:0.0} s, not counted; errors: {warm.Errors}");
            }

            produce = await ProducePhase.RunAsync(options, topic, cancellationToken);
            log.WriteLine(produce.Format());
        }

        PhaseResult? fetch = null;
        if (fetches)
        {
            if (options.Warmup > TimeSpan.Zero)
            {
                PhaseResult warm = await FetchPhase.RunAsync(warmup, topic, cancellationToken);
                log.WriteLine($"fetch warm-up: {warm.Records:N0} records in {warm.Elapsed.TotalSeconds:0.0} s, not counted; errors: {warm.Errors}");
            }

            fetch = await FetchPhase.RunAsync(options, topic, cancellationToken);
            log.WriteLine(fetch.Format());
        }

        return new LoadReport { Topic = topic, Produce = produce, Fetch = fetch };
    }
}
