namespace Samsa.Broker.Configuration;

/// <summary>How a broker key's text is parsed: Kafka's <c>ConfigDef.Type</c>, minus the types we never read.</summary>
internal enum ConfigType
{
    Boolean,
    String,
    Int,
    Short,
    Long,

    /// <summary>A floating-point number (topic-level <c>min.cleanable.dirty.ratio</c>).</summary>
    Double,

    /// <summary>Comma-separated, each item trimmed; empty text is an empty list.</summary>
    List,

    /// <summary>A string never echoed back in messages or DescribeConfigs.</summary>
    Password,
}
