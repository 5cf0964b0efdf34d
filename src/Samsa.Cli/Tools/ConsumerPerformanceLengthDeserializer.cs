using Confluent.Kafka;

namespace Samsa.Cli.Tools;

/// <summary>
/// The consumer perf test only counts bytes, so keys and values are "deserialized" to their
/// length: the client hands over a span of its own buffer and no byte array is allocated per
/// record (a null key or value counts 0, as Kafka's tool adds only non-null lengths).
/// </summary>
internal sealed class ConsumerPerformanceLengthDeserializer : IDeserializer<int>
{
    public static readonly ConsumerPerformanceLengthDeserializer Instance = new();

    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? 0 : data.Length;
}
