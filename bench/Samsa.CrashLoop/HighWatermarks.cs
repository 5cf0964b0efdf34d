using System.Diagnostics;
using Confluent.Kafka;

namespace Samsa.CrashLoop;

/// <summary>The high watermark of every partition of the topic, as its leader answers ListOffsets (one broker: also the log end offset).</summary>
internal static class HighWatermarks
{
    /// <summary>Asks until each partition answers; right after a restart the broker may not lead them yet.</summary>
    /// <exception cref="TimeoutException">A partition did not answer within <paramref name="timeout"/> of <paramref name="since"/>.</exception>
    public static long[] Query<TKey, TValue>(IConsumer<TKey, TValue> consumer, string topic, int partitions, Stopwatch since, TimeSpan timeout)
    {
        long[] ends = new long[partitions];
        for (int p = 0; p < partitions; p++)
        {
            while (true)
            {
                try
                {
                    ends[p] = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(5)).High.Value;
                    break;
                }
                catch (KafkaException e)
                {
                    if (since.Elapsed > timeout)
                    {
                        throw new TimeoutException($"The high watermark of {topic}-{p} was not answered in {timeout.TotalSeconds} s: {e.Error}", e);
                    }
                }
            }
        }

        return ends;
    }

    /// <summary>A consumer used only to ask for watermarks (no group, no subscription).</summary>
    public static IConsumer<Ignore, Ignore> OpenQueryConsumer(string bootstrapServers, string clientId) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "crash-loop-audit-unused", ClientId = clientId })
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
}
