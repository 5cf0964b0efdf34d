using System.Globalization;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Second opinions beside Confluent.Kafka: kcat (librdkafka's command-line client) and kafka-python
/// (a pure-Python client with its own protocol code and its own choice of API versions), both from
/// Debian (packages kcat and python3-kafka, which test.sh installs), driving the same broker through
/// what a user of each would type or write.
/// </summary>
public sealed class OtherClientTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Kcat_lists_the_broker_produces_and_consumes_in_order()
    {
        (int listed, string metadata, string listError) = await RunAsync("kcat", ["-b", fixture.BootstrapServers, "-L"], null);
        Assert.True(listed == 0, listError);
        Assert.Contains($"broker {fixture.Broker.BrokerId} at 127.0.0.1:{fixture.Broker.Port}", metadata, StringComparison.Ordinal);

        (int produced, _, string produceError) = await RunAsync("kcat", ["-b", fixture.BootstrapServers, "-P", "-t", "kcat-lines", "-p", "0"], "first\nsecond\nthird\n");
        Assert.True(produced == 0, produceError);

        (int consumed, string lines, string consumeError) = await RunAsync(
            "kcat", ["-b", fixture.BootstrapServers, "-C", "-t", "kcat-lines", "-o", "beginning", "-e", "-f", "%p %o %s\\n"], null);
        Assert.True(consumed == 0, consumeError);
        Assert.Equal(["0 0 first", "0 1 second", "0 2 third"], lines.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Kafka_python_creates_produces_consumes_in_a_group_commits_and_deletes()
    {
        // Prints one line per step; each line is asserted below.
        const string Script = """
            import sys
            from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
            from kafka.admin import NewTopic
            servers = sys.argv[1]
            admin = KafkaAdminClient(bootstrap_servers=servers, client_id="it-python")
            admin.create_topics([NewTopic("python-topic", num_partitions=3, replication_factor=1)])
            print("created", "python-topic" in admin.list_topics())
            for codec in (None, "gzip"):
                producer = KafkaProducer(bootstrap_servers=servers, acks="all", compression_type=codec)
                futures = [producer.send("python-topic", key=str(i % 3).encode(), value=("%s-%d" % (codec, i)).encode()) for i in range(50)]
                producer.flush()
                print("produced", codec, sum(1 for f in futures if f.get(timeout=30).offset >= 0))
                producer.close()
            consumer = KafkaConsumer("python-topic", bootstrap_servers=servers, group_id="python-group",
                                     auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=10000)
            values = set()
            for message in consumer:
                values.add(message.value.decode())
                if len(values) == 100:
                    break
            consumer.commit()
            print("consumed", len(values), "None-0" in values and "gzip-49" in values)
            committed = admin.list_consumer_group_offsets("python-group")
            print("committed", sum(o.offset for tp, o in committed.items() if tp.topic == "python-topic"))
            consumer.close()
            admin.delete_topics(["python-topic"])
            print("deleted", "python-topic" not in admin.list_topics())
            """;
        using var dir = new TempDirectory("python");
        string script = Path.Combine(dir.Path, "clients.py");
        await File.WriteAllTextAsync(script, Script);

        (int exit, string output, string error) = await RunAsync("/usr/bin/python3", [script, fixture.BootstrapServers], null);
        Assert.True(exit == 0, error);
        Assert.Equal(
            [
                "created True",
                "produced None 50",
                "produced gzip 50",
                "consumed 100 True",
                "committed 100",
                "deleted True",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] arguments, string? stdin) =>
        ProcessRun.RunAsync(ProcessRun.Redirected(file, arguments), stdin, ToolTimeout, string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', arguments)}"));
}
