using Confluent.Kafka;

namespace Samsa.Alternatives;

/// <summary>
/// Keys and values "deserialized" to their length, as kafka-consumer-perf-test does
/// (src/Samsa.Cli/Tools/ConsumerPerformanceLengthDeserializer.cs): no array per record.
/// </summary>
internal sealed class LengthDeserializer : IDeserializer<int>
{
    public static readonly LengthDeserializer Instance = new();

    public int Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => isNull ? 0 : data.Length;
}
