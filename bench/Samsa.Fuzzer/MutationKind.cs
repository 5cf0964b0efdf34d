namespace Samsa.Fuzzer;

/// <summary>What was done to a captured request before it was sent.</summary>
public enum MutationKind
{
    /// <summary>Sent as captured (new correlation id only): keeps the connection and the broker's state busy.</summary>
    None,
    BitFlip,
    InterestingBytes,
    RandomBytes,
    Truncate,
    Extend,

    /// <summary>The size prefix no longer matches: smaller, larger, negative or huge.</summary>
    SizePrefix,
    ApiKey,
    ApiVersion,

    /// <summary>A string length or array count (int16, int32, compact varint) set to an extreme.</summary>
    LengthField,

    /// <summary>A compact varint replaced by an extreme, overlong or unterminated encoding.</summary>
    Varint,

    /// <summary>A record batch's length, CRC, record count, attributes, offsets or records corrupted (CRC fixed up or not).</summary>
    RecordBatch,

    /// <summary>The head of one captured request joined to the tail of another.</summary>
    Splice,

    /// <summary>No captured request at all: random bytes, with a plausible or random size prefix.</summary>
    Garbage,
}
