namespace Samsa.Alternatives;

internal enum AlternativeMode
{
    /// <summary>Confluent.Kafka consuming from librdkafka's in-process mock cluster.</summary>
    MockConsume,

    /// <summary>NATS.Net publishing to a JetStream stream, acks awaited with a bounded window.</summary>
    Nats,

    /// <summary>Pipelined XADD over raw RESP connections.</summary>
    Redis,
}
