using System.IO.Compression;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Compression;

/// <summary>
/// gzip (RFC 1952) records, as the Java client writes with GZIPOutputStream. Decoding accepts
/// concatenated members, which .NET's GZipStream reads as one stream.
/// </summary>
public sealed class GzipCodec : CompressionCodec
{
    /// <summary>zlib's default level, which Kafka's compression.gzip.level=-1 means.</summary>
    public const int DefaultLevel = 6;

    public const int MinLevel = 1;

    public const int MaxLevel = 9;

    private readonly int _level;

    public GzipCodec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        _level = level;
    }

    public static GzipCodec Default { get; } = new();

    public int Level => _level;

    public override CompressionType Type => CompressionType.Gzip;

    public override void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var sink = new BufferWriterStream(destination);
        using var gzip = new GZipStream(sink, new ZLibCompressionOptions { CompressionLevel = _level }, leaveOpen: true);
        gzip.Write(source);
    }

    public override void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        CheckArguments(destination, maxDecompressedBytes);
        using var input = new ReadOnlyMemoryStream(source);
        using var gzip = new GZipStream(input, CompressionMode.Decompress);
        try
        {
            CopyBounded(gzip, destination, maxDecompressedBytes);
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(Type, ex);
        }
        catch (IOException ex)
        {
            throw Corrupt(Type, ex);
        }
    }
}
