using Confluent.Kafka;
using Samsa.Integration.Tests.Clients;
using Samsa.LoadGenerator;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Integration.Tests.Bench;

/// <summary>
/// The raw load generator against a real broker process: what it reports as acknowledged is what
/// the log holds, and a fetch pass counts exactly that. A benchmark that miscounts lies, so this
/// pins its bookkeeping (never its speed).
/// </summary>
public sealed class LoadGeneratorTests(ITestOutputHelper testOutput)
{
    private const string Topic = "loadgen-smoke";
    private const int Partitions = 2;
    private const int Connections = 2;
    private const int InFlight = 2;
    private const int BatchRecords = 50;
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Acknowledged_records_are_the_log_end_and_one_fetch_pass_per_slot_counts_them()
    {
        using var timeout = new CancellationTokenSource(TestTimeout);
        await using BrokerProcess broker = await BrokerProcess.StartAsync(cancellationToken: timeout.Token);
        using var output = new StringWriter();

        LoadReport produced = await LoadRunner.RunAsync(
            new LoadOptions
            {
                Mode = LoadMode.Produce,
                Port = broker.Port,
                Topic = Topic,
                Partitions = Partitions,
                Connections = Connections,
                InFlight = InFlight,
                Duration = TimeSpan.FromSeconds(1),
                Requests = 500, // bounds the data on a fast machine: ≤ 50,000 records of 100 B
                RecordSize = 100,
                BatchRecords = BatchRecords,
                Acks = -1,
            },
            output,
            timeout.Token);

        PhaseResult produce = Assert.IsType<PhaseResult>(produced.Produce);
        Assert.True(produce.Errors.Total == 0, output.ToString());
        Assert.True(produce.Records > 0, output.ToString());
        Assert.Equal(produce.Requests * Partitions * BatchRecords, produce.Records);
        Assert.Equal(produce.Requests, produce.Latency.Count);

        LoadReport fetched = await LoadRunner.RunAsync(
            new LoadOptions
            {
                Mode = LoadMode.Fetch,
                Port = broker.Port,
                Topic = Topic,
                Connections = Connections,
                InFlight = InFlight,
                Duration = TimeSpan.FromSeconds(30),
                FetchPasses = 1,
                FetchMaxBytes = 256 * 1024, // several requests per pass, so positions and wrap-around are exercised
            },
            output,
            timeout.Token);

        testOutput.WriteLine(output.ToString());
        PhaseResult fetch = Assert.IsType<PhaseResult>(fetched.Fetch);
        Assert.True(fetch.Errors.Total == 0, output.ToString());
        Assert.Equal(1, fetch.Passes);

        long logEnd = 0;
        using (IConsumer<Ignore, Ignore> consumer = new ConsumerBuilder<Ignore, Ignore>(ClientConfigs.Consumer(broker.BootstrapServers)).Build())
        {
            for (int partition = 0; partition < Partitions; partition++)
            {
                logEnd += consumer.QueryWatermarkOffsets(new TopicPartition(Topic, partition), TimeSpan.FromSeconds(10)).High.Value;
            }
        }

        Assert.Equal(produce.Records, logEnd);
        Assert.Equal(Connections * InFlight * logEnd, fetch.Records);
    }
}
