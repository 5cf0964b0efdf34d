namespace Samsa.Protocol.Compression;

/// <summary>
/// The codec of a record batch's records section, as stored in attribute bits 0-2. Values 5-7 are
/// unassigned on the wire; a batch carrying one fails validation rather than reaching a codec.
/// </summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
