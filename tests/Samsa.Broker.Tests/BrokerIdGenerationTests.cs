using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Configuration;
using Samsa.Testing;

namespace Samsa.Broker.Tests;

/// <summary>broker.id=-1 (Kafka's default): the broker picks an id above reserved.broker.max.id and keeps it.</summary>
public sealed class BrokerIdGenerationTests
{
    [Fact]
    public async Task A_broker_without_an_id_generates_one_and_keeps_it_across_restarts()
    {
        using var dir = new TempDirectory();
        var properties = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listeners"] = "PLAINTEXT://127.0.0.1:0",
            ["log.dirs"] = dir.Path,
        };
        BrokerOptions options = BrokerOptions.Load(properties, out _);
        Assert.Equal(-1, options.BrokerId);

        int first;
        await using (KafkaBroker broker = await KafkaBroker.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None))
        {
            first = broker.BrokerId;
        }

        Assert.Equal(1001, first);
        await using (KafkaBroker again = await KafkaBroker.StartAsync(options, TimeProvider.System, NullLoggerFactory.Instance, CancellationToken.None))
        {
            Assert.Equal(first, again.BrokerId);
        }
    }
}
