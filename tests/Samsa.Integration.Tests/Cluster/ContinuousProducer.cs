using System.Globalization;
using Confluent.Kafka;
using Samsa.Integration.Tests.Clients;

namespace Samsa.Integration.Tests.Cluster;

/// <summary>
/// An idempotent acks=all producer that sends numbered values (keyed over 30 keys, so every
/// partition gets some) until stopped, and records every delivery report: what was acknowledged
/// where, and every failure. Its message timeout outlasts any failover a test causes, so a failed
/// delivery is the broker's doing, not the clock's.
/// </summary>
internal sealed class ContinuousProducer : IAsyncDisposable
{
    private readonly List<(int Partition, long Offset, string Value)> _acknowledged = [];
    private readonly List<string> _failures = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producing;

    private ContinuousProducer(string bootstrap, string topic)
    {
        ProducerConfig config = ClientConfigs.Producer(bootstrap);
        config.EnableIdempotence = true;
        config.Acks = Acks.All;
        config.MessageTimeoutMs = 180_000;
        config.RetryBackoffMs = 100;
        config.ReconnectBackoffMaxMs = 500;
        _producing = Task.Run(() => ProduceUntilStoppedAsync(config, topic), CancellationToken.None);
    }

    public static ContinuousProducer Start(string bootstrap, string topic) => new(bootstrap, topic);

    /// <summary>Returns once <paramref name="more"/> further messages have been acknowledged.</summary>
    public async Task WaitForAcknowledgedAsync(int more, CancellationToken cancellationToken)
    {
        int target;
        lock (_acknowledged)
        {
            target = _acknowledged.Count + more;
        }

        while (true)
        {
            lock (_acknowledged)
            {
                if (_acknowledged.Count >= target)
                {
                    return;
                }

                if (_producing.IsCompleted)
                {
                    throw new InvalidOperationException($"The producer stopped early: {_producing.Exception}");
                }
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>Stops sending, waits for every outstanding delivery report, and returns them all.</summary>
    public async Task<(List<(int Partition, long Offset, string Value)> Acknowledged, List<string> Failures)> StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        await _producing.WaitAsync(cancellationToken);
        lock (_acknowledged)
        {
            return ([.. _acknowledged], [.. _failures]);
        }
    }

    /// <summary>Stops a producer a failed test left running (its flush is bounded).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();

        // Waits without throwing: a failed test's own assertion is the error worth reporting.
        await Task.WhenAny(_producing);
        _ = _producing.Exception;
        _stop.Dispose();
    }

    private async Task ProduceUntilStoppedAsync(ProducerConfig config, string topic)
    {
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(config).Build();
        int n = 0;
        while (!_stop.IsCancellationRequested)
        {
            string value = n.ToString("D7", CultureInfo.InvariantCulture);
            producer.Produce(topic, new Message<string, string> { Key = (n % 30).ToString(CultureInfo.InvariantCulture), Value = value }, report =>
            {
                lock (_acknowledged)
                {
                    if (report.Error.IsError)
                    {
                        _failures.Add($"{report.Message.Value}: {report.Error.Code} {report.Error.Reason}");
                    }
                    else
                    {
                        _acknowledged.Add((report.Partition.Value, report.Offset.Value, report.Message.Value));
                    }
                }
            });
            n++;
            if (n % 50 == 0)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }

        int outstanding = producer.Flush(TimeSpan.FromSeconds(120));
        if (outstanding > 0)
        {
            // Neither acknowledged nor failed: a test must not read that as "nothing failed".
            throw new TimeoutException($"{outstanding} messages still had no delivery report 120 s after the producer stopped.");
        }
    }
}
