using System.Collections.Concurrent;
using Confluent.Kafka;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// A Confluent.Kafka group consumer driven by its own polling thread (librdkafka runs rebalances
/// only inside Consume), exposing its latest assignment and counts for tests to wait on.
/// <see cref="StopAsync"/> closes it (LeaveGroup); <see cref="CrashAsync"/> disposes it without
/// closing, so the group only notices when the session times out.
/// </summary>
internal sealed class GroupConsumer : IAsyncDisposable
{
    private readonly IConsumer<string, string> _consumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly Lock _lock = new();
    private readonly ConcurrentQueue<string?> _values = new();
    private List<TopicPartition> _assignment = [];
    private int _revocations;
    private int _consumed;
    private bool _closeOnStop = true;
    private bool _disposed;

    public GroupConsumer(ConsumerConfig config, string topic)
    {
        _consumer = new ConsumerBuilder<string, string>(config)
            .SetPartitionsRevokedHandler((_, revoked) => Interlocked.Add(ref _revocations, revoked.Count))
            .SetPartitionsLostHandler((_, lost) => Interlocked.Add(ref _revocations, lost.Count))
            .Build();
        _consumer.Subscribe(topic);
        _loop = Task.Factory.StartNew(Poll, TaskCreationOptions.LongRunning);
    }

    public IReadOnlyList<TopicPartition> Assignment
    {
        get
        {
            lock (_lock)
            {
                return _assignment;
            }
        }
    }

    /// <summary>Partitions revoked or lost so far (a rebalance that moved something away from this member).</summary>
    public int Revocations => Volatile.Read(ref _revocations);

    public int Consumed => Volatile.Read(ref _consumed);

    /// <summary>Every value consumed so far, in arrival order (a value seen twice was redelivered).</summary>
    public IReadOnlyCollection<string?> Values => _values;

    /// <summary>The last error the client reported through Consume (for failure messages).</summary>
    public string? LastError { get; private set; }

    private void Poll()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                ConsumeResult<string, string>? result = _consumer.Consume(TimeSpan.FromMilliseconds(50));
                if (result is { IsPartitionEOF: false })
                {
                    _values.Enqueue(result.Message.Value);
                    Interlocked.Increment(ref _consumed);
                }
            }
            catch (ConsumeException e)
            {
                LastError = e.Error.ToString();
            }

            List<TopicPartition> assignment = _consumer.Assignment;
            lock (_lock)
            {
                _assignment = assignment;
            }
        }

        if (_closeOnStop)
        {
            _consumer.Close();
        }
    }

    /// <summary>Runs <paramref name="action"/> with the consumer on the caller's thread (commit, committed offsets, position).</summary>
    public T With<T>(Func<IConsumer<string, string>, T> action) => action(_consumer);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async Task CrashAsync()
    {
        _closeOnStop = false;
        await StopAsync();
        // Dispose without Close: librdkafka's handle goes away without a LeaveGroup, so its heartbeats just stop.
        _consumer.Dispose();
        _disposed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        if (!_disposed)
        {
            _consumer.Dispose();
        }

        _stop.Dispose();
    }
}
