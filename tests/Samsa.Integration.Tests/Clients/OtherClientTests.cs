using System.Globalization;
using Samsa.Testing;

namespace Samsa.Integration.Tests.Clients;

/// <summary>
/// Second opinions beside Confluent.Kafka: kcat (librdkafka's command-line client), kafka-python (a
/// pure-Python client with its own protocol code and its own choice of API versions, Debian's
/// python3-kafka) and kafkajs (JavaScript, from npm), which test.sh installs, driving the same broker
/// through what a user of each would type or write.
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

    [Fact]
    public async Task Kafkajs_creates_produces_idempotently_consumes_in_a_group_and_deletes()
    {
        // kafkajs: a third protocol implementation (JavaScript), installed by test.sh under artifacts/kafkajs.
        const string Script = """
            const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
            const kafka = new Kafka({ clientId: 'it-kafkajs', brokers: [process.argv[2]], logLevel: logLevel.ERROR });
            (async () => {
              const admin = kafka.admin();
              await admin.connect();
              await admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'kafkajs-topic', numPartitions: 2 }] });
              const metadata = await admin.fetchTopicMetadata({ topics: ['kafkajs-topic'] });
              console.log('created', metadata.topics[0].partitions.length);
              const producer = kafka.producer({ idempotent: true });
              await producer.connect();
              for (let i = 0; i < 10; i++) {
                await producer.send({ topic: 'kafkajs-topic', acks: -1, compression: CompressionTypes.GZIP,
                  messages: Array.from({ length: 50 }, (_, j) => ({ key: 'k' + (j % 5), value: `v${i}-${j}`, headers: { h: 'x' } })) });
              }
              await producer.disconnect();
              console.log('produced', 500);
              const consumer = kafka.consumer({ groupId: 'kafkajs-group' });
              await consumer.connect();
              await consumer.subscribe({ topic: 'kafkajs-topic', fromBeginning: true });
              const values = new Set();
              let withHeader = 0;
              await new Promise((resolve) => {
                const timer = setTimeout(resolve, 60000);
                consumer.run({ eachMessage: async ({ message }) => {
                  values.add(message.value.toString());
                  if (message.headers.h && message.headers.h.toString() === 'x') withHeader++;
                  if (values.size === 500) { clearTimeout(timer); resolve(); }
                } });
              });
              await consumer.disconnect();
              console.log('consumed', values.size, withHeader, values.has('v0-0') && values.has('v9-49'));
              const offsets = await admin.fetchOffsets({ groupId: 'kafkajs-group', topics: ['kafkajs-topic'] });
              console.log('committed', offsets[0].partitions.reduce((sum, p) => sum + Number(p.offset), 0));
              await admin.deleteTopics({ topics: ['kafkajs-topic'] });
              console.log('deleted', !(await admin.listTopics()).includes('kafkajs-topic'));
              await admin.disconnect();
            })().catch((e) => { console.error(e); process.exit(1); });
            """;
        using var dir = new TempDirectory("kafkajs");
        string script = Path.Combine(dir.Path, "clients.js");
        await File.WriteAllTextAsync(script, Script);

        (int exit, string output, string error) = await RunAsync(
            "node", [script, fixture.BootstrapServers], null,
            ("NODE_PATH", Path.Combine(BrokerProcess.RepoRoot(), "artifacts", "kafkajs", "node_modules")));
        Assert.True(exit == 0, error);
        Assert.Equal(
            ["created 2", "produced 500", "consumed 500 500 true", "committed 500", "deleted true"],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string file, string[] arguments, string? stdin, (string Name, string Value)? environment = null)
    {
        System.Diagnostics.ProcessStartInfo start = ProcessRun.Redirected(file, arguments);
        if (environment is { } variable)
        {
            start.Environment[variable.Name] = variable.Value;
        }

        return ProcessRun.RunAsync(start, stdin, ToolTimeout, string.Create(CultureInfo.InvariantCulture, $"{file} {string.Join(' ', arguments)}"));
    }
}
