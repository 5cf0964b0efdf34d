using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Samsa.Fuzzer;

/// <summary>
/// An ordinary Confluent.Kafka producer (acks=all, idempotent) and group consumer working beside the
/// fuzzer. It counts what succeeded, remembers where every acknowledged message landed, tracks the
/// longest time without a new acknowledgement, and at the end reads every partition back to check
/// that every acknowledged message is there.
/// </summary>
internal sealed class WellBehavedClient : IAsyncDisposable
{
    public const string Topic = "fuzz-well-behaved";
    private const int Partitions = 3;
    private const int MaxInFlight = 20;

    private readonly string _bootstrapServers;
    private readonly ConcurrentDictionary<string, TopicPartitionOffset> _acked = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Stopwatch _sinceLastAck = new();
    private readonly Lock _stallLock = new();
    private TimeSpan _longestStall;
    private long _sent;
    private long _failed;
    private long _consumed;
    private string? _lastError;
    private Task? _producing;
    private Task? _consuming;

    public WellBehavedClient(string bootstrapServers) => _bootstrapServers = bootstrapServers;

    public long Acked => _acked.Count;

    public long Failed => Interlocked.Read(ref _failed);

    public long Consumed => Interlocked.Read(ref _consumed);

    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>The longest time the producer went without an acknowledgement.</summary>
    public TimeSpan LongestStall
    {
        get
        {
            lock (_stallLock)
            {
                return _longestStall > _sinceLastAck.Elapsed ? _longestStall : _sinceLastAck.Elapsed;
            }
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using (IAdminClient admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = _bootstrapServers, ClientId = "fuzz-well-behaved-admin" }).Build())
        {
            await admin.CreateTopicsAsync([new TopicSpecification { Name = Topic, NumPartitions = Partitions, ReplicationFactor = 1 }]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _sinceLastAck.Start();
        _producing = Task.Run(() => ProduceAsync(_stopping.Token), CancellationToken.None);
        _consuming = Task.Factory.StartNew(() => Consume(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Stops producing and consuming (every produce finished, acked or failed).</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_producing is not null)
        {
            await _producing.ConfigureAwait(false);
        }

        // The time since the last ack counts as a stall only while the producer runs.
        lock (_stallLock)
        {
            _sinceLastAck.Stop();
        }

        if (_consuming is not null)
        {
            await _consuming.ConfigureAwait(false);
        }
    }

    /// <summary>Reads every partition from the start and returns the acknowledged messages that are not where their ack said.</summary>
    public long CountMissing(TimeSpan timeout)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            ClientId = "fuzz-well-behaved-checker",
            GroupId = "fuzz-well-behaved-checker",
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        };
        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config).Build();
        var stored = new Dictionary<TopicPartitionOffset, string>();
        var assignments = new List<TopicPartitionOffset>();
        var ends = new Dictionary<int, long>();
        for (int p = 0; p < Partitions; p++)
        {
            WatermarkOffsets watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), timeout);
            ends[p] = watermarks.High.Value;
            assignments.Add(new TopicPartitionOffset(Topic, p, Offset.Beginning));
        }

        consumer.Assign(assignments);
        var done = new HashSet<int>();
        var deadline = Stopwatch.StartNew();
        while (done.Count < Partitions && deadline.Elapsed < timeout)
        {
            ConsumeResult<string, string>? result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (!result.IsPartitionEOF)
            {
                stored[result.TopicPartitionOffset] = result.Message.Value;
            }

            if (result.Offset.Value + (result.IsPartitionEOF ? 0 : 1) >= ends[result.Partition.Value])
            {
                done.Add(result.Partition.Value);
            }
        }

        consumer.Close();
        long missing = 0;
        foreach ((string value, TopicPartitionOffset where) in _acked)
        {
            if (!stored.TryGetValue(where, out string? found) || found != value)
            {
                missing++;
            }
        }

        return missing;
    }

    private async Task ProduceAsync(CancellationToken stopping)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = _bootstrapServers,
            ClientId = "fuzz-well-behaved-producer",
            Acks = Acks.All,
            EnableIdempotence = true,
            LingerMs = 5,
        };
        using IProducer<string, string> producer = new ProducerBuilder<string, string>(config).Build();
        using var slots = new SemaphoreSlim(MaxInFlight);
        var pending = new List<Task>();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            long n = Interlocked.Increment(ref _sent);
            string value = "wb-" + n.ToString(CultureInfo.InvariantCulture);
            pending.Add(ProduceOneAsync(producer, value, slots));
            pending.RemoveAll(t => t.IsCompleted);
            // A steady trickle, not a flood: the point is to see it keep working, not to load the broker.
            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        producer.Flush(TimeSpan.FromSeconds(30));
    }

    private async Task ProduceOneAsync(IProducer<string, string> producer, string value, SemaphoreSlim slots)
    {
        try
        {
            DeliveryResult<string, string> result = await producer.ProduceAsync(Topic, new Message<string, string> { Key = value, Value = value }).ConfigureAwait(false);
            _acked[value] = result.TopicPartitionOffset;
            lock (_stallLock)
            {
                if (_sinceLastAck.Elapsed > _longestStall)
                {
                    _longestStall = _sinceLastAck.Elapsed;
                }

                _sinceLastAck.Restart();
            }
        }
        catch (ProduceException<string, string> e)
        {
            Interlocked.Increment(ref _failed);
            Volatile.Write(ref _lastError, e.Error.ToString());
        }
        finally
        {
            slots.Release();
        }
    }

    private void Consume(CancellationToken stopping)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = _bootstrapServers,
            ClientId = "fuzz-well-behaved-consumer",
            GroupId = "fuzz-well-behaved-group",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = true,
            AutoCommitIntervalMs = 500,
        };
        using IConsumer<string, string> consumer = new ConsumerBuilder<string, string>(config)
            .SetErrorHandler((_, error) => Volatile.Write(ref _lastError, "consumer: " + error))
            .Build();
        consumer.Subscribe(Topic);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false })
                {
                    Interlocked.Increment(ref _consumed);
                }
            }
            catch (ConsumeException e)
            {
                Volatile.Write(ref _lastError, "consumer: " + e.Error);
            }
        }

        consumer.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
