namespace Samsa.Broker.Configuration;

/// <summary>Broker/topic <c>compression.type</c>: keep the producer's codec, store uncompressed, or recompress.</summary>
public enum BrokerCompressionType
{
    Producer,
    Uncompressed,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}
