using System.Diagnostics;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.LoadGenerator;

/// <summary>
/// The fetch phase: <c>--connections</c> connections of <c>--in-flight</c> slots each, every slot
/// reading the whole topic from the start and wrapping around (cached data, as a consumer that
/// keeps up reads it), until the phase limit or the pass limit.
/// </summary>
internal static class FetchPhase
{
    /// <summary>Room above MaxBytes: a broker returns at least one whole batch, however large.</summary>
    private const long FrameSlack = 64L * 1024 * 1024;

    public static async Task<PhaseResult> RunAsync(LoadOptions options, TopicLayout topic, CancellationToken cancellationToken)
    {
        int maxFrame = (int)Math.Min(options.FetchMaxBytes + FrameSlack, int.MaxValue - 64);
        using var phase = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var limit = new PhaseLimit(options.Duration, options.Requests);
        var loops = new FetchConnectionLoop[options.Connections];
        try
        {
            for (int i = 0; i < loops.Length; i++)
            {
                // Room for two whole responses, so reading one while the next arrives rarely compacts.
                int bufferSize = (int)Math.Min(2L * (options.FetchMaxBytes + Frame.SizePrefixLength + 1024), maxFrame);
                BrokerConnection connection = await BrokerConnection.ConnectAsync(options.Host, options.Port, maxFrame, phase.Token, bufferSize);
                var slots = new FetchSlot[options.InFlight];
                for (int s = 0; s < slots.Length; s++)
                {
                    slots[s] = new FetchSlot(options, topic);
                }

                loops[i] = new FetchConnectionLoop(connection, slots, limit, options.FetchVersion);
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
                running[i] = loops[i].RunAsync();
            }

            await Task.WhenAll(running);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            return Collect(allocated, options, loops, limit, phase.IsCancellationRequested && !cancellationToken.IsCancellationRequested);
        }
        finally
        {
            foreach (FetchConnectionLoop? loop in loops)
            {
                if (loop is not null)
                {
                    await loop.DisposeAsync();
                }
            }
        }
    }

    private static PhaseResult Collect(long allocated, LoadOptions options, FetchConnectionLoop[] loops, PhaseLimit limit, bool timedOut)
    {
        var latency = new LatencyHistogram();
        var errors = new ErrorTally();
        long requests = 0;
        long records = 0;
        long batches = 0;
        long batchBytes = 0;
        long fewestPasses = long.MaxValue;
        long finishedAt = limit.Start;
        foreach (FetchConnectionLoop loop in loops)
        {
            latency.Add(loop.Latency);
            errors.Add(loop.Errors);
            requests += loop.Requests;
            finishedAt = Math.Max(finishedAt, loop.FinishedAt);
            foreach (FetchSlot slot in loop.Slots)
            {
                records += slot.Records;
                batches += slot.Batches;
                batchBytes += slot.BatchBytes;
                fewestPasses = Math.Min(fewestPasses, slot.FewestPasses);
            }
        }

        if (timedOut)
        {
            errors.AddFailure($"no response within {options.ResponseTimeout.TotalSeconds:0} s after the phase ended");
        }

        return new PhaseResult
        {
            Phase = "fetch",
            Elapsed = Stopwatch.GetElapsedTime(limit.Start, finishedAt),
            Requests = requests,
            Records = records,
            ValueBytes = batchBytes - (batches * RecordBatch.HeaderSize),
            BatchBytes = batchBytes,
            Latency = latency,
            Errors = errors,
            AllocatedBytes = allocated,
            Passes = fewestPasses == long.MaxValue ? 0 : fewestPasses,
        };
    }
}
