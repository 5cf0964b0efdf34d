using System.Diagnostics;

namespace Samsa.LoadGenerator;

/// <summary>
/// The produce phase: one record batch encoded once, one request template per connection, all
/// connections connected before the clock starts, then every loop runs until the phase limit.
/// </summary>
internal static class ProducePhase
{
    private const int MaxResponseFrame = 16 * 1024 * 1024;

    public static async Task<PhaseResult> RunAsync(LoadOptions options, TopicLayout topic, CancellationToken cancellationToken)
    {
        byte[] batch = ProduceRequestTemplate.BuildBatch(options.BatchRecords, options.RecordSize);
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var limit = new PhaseLimit(options.Duration, options.Requests);
        var loops = new ProduceConnectionLoop[options.Connections];
        try
        {
            for (int i = 0; i < loops.Length; i++)
            {
                BrokerConnection connection = await BrokerConnection.ConnectAsync(options.Host, options.Port, MaxResponseFrame, phase.Token);
                loops[i] = new ProduceConnectionLoop(connection, new ProduceRequestTemplate(options, topic, batch), limit, options.InFlight, options.Acks != 0, options.ClientId);
            }

            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            limit.Begin();
            if (options.Duration is { } duration)
            {
                phase.CancelAfter(duration + options.ResponseTimeout);
            }

            var running = new Task[loops.Length];
            for (int i = 0; i < loops.Length; i++)
            {
                running[i] = loops[i].RunAsync(topic.Partitions);
            }

            await Task.WhenAll(running);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            return Collect(allocated, options, loops, limit, batch.Length, phase.IsCancellationRequested && !cancellationToken.IsCancellationRequested);
        }
        finally
        {
            foreach (ProduceConnectionLoop? loop in loops)
            {
                if (loop is not null)
                {
                    await loop.DisposeAsync();
                }
            }
        }
    }

    private static PhaseResult Collect(long allocated, LoadOptions options, ProduceConnectionLoop[] loops, PhaseLimit limit, int batchBytes, bool timedOut)
    {
        var latency = new LatencyHistogram();
        var errors = new ErrorTally();
        long requests = 0;
        long partitions = 0;
        long finishedAt = limit.Start;
        foreach (ProduceConnectionLoop loop in loops)
        {
            latency.Add(loop.Latency);
            errors.Add(loop.Errors);
            requests += loop.Requests;
            partitions += loop.AcknowledgedPartitions;
            finishedAt = Math.Max(finishedAt, loop.FinishedAt);
        }

        if (timedOut)
        {
            errors.AddFailure($"no response within {options.ResponseTimeout.TotalSeconds:0} s after the phase ended");
        }

        long records = partitions * options.BatchRecords;
        return new PhaseResult
        {
            Phase = "produce",
            Elapsed = Stopwatch.GetElapsedTime(limit.Start, finishedAt),
            Requests = requests,
            Records = records,
            ValueBytes = records * options.RecordSize,
            BatchBytes = partitions * batchBytes,
            Latency = latency,
            Errors = errors,
            AllocatedBytes = allocated,
        };
    }
}
