using Microsoft.Extensions.Logging;

namespace Samsa.Broker;

/// <summary>
/// The broker's stop steps, run in order where one failing never skips the rest (as Kafka's
/// shutdown swallows each component's failure): a part that throws must not leave the logs
/// unflushed and the shutdown unmarked. Each failure is logged as it happens and all of them are
/// thrown together at the end, so a broken part still fails the stop visibly.
/// </summary>
internal sealed partial class ShutdownSequence(int brokerId, ILogger logger)
{
    private List<Exception>? _failures;

    public async ValueTask RunAsync(string part, Func<ValueTask> step)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Every failure is kept and rethrown by ThrowIfAnyFailed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failed(part, e);
        }
    }

    public ValueTask RunAsync(string part, Func<Task> step) => RunAsync(part, () => new ValueTask(step()));

    /// <summary>A synchronous step (named apart so a lambda returning a task can never bind here and go unawaited).</summary>
    public void Run(string part, Action step)
    {
        try
        {
            step();
        }
#pragma warning disable CA1031 // Every failure is kept and rethrown by ThrowIfAnyFailed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Failed(part, e);
        }
    }

    /// <summary>How many steps failed so far.</summary>
    public int FailedCount => _failures?.Count ?? 0;

    public void ThrowIfAnyFailed()
    {
        if (_failures is not null)
        {
            throw new AggregateException($"{_failures.Count} parts failed to stop cleanly.", _failures);
        }
    }

    private void Failed(string part, Exception e)
    {
        LogStepFailed(logger, brokerId, part, e);
        (_failures ??= []).Add(e);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "[KafkaServer id={BrokerId}] Closing {Part} failed; closing the rest (kafka.server.KafkaServer)")]
    private static partial void LogStepFailed(ILogger logger, int brokerId, string part, Exception exception);
}
