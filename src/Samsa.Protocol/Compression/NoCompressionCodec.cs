using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Compression;

/// <summary>
/// The identity codec, so code that recompresses a batch into a topic's codec needs no special
/// case for "none". Readers of uncompressed batches should use the stored bytes directly instead.
/// </summary>
internal sealed class NoCompressionCodec : CompressionCodec
{
    public static readonly NoCompressionCodec Instance = new();

    private NoCompressionCodec()
    {
    }

    public override CompressionType Type => CompressionType.None;

    public override void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        source.CopyTo(destination.GetSpan(source.Length));
        destination.Advance(source.Length);
    }

    public override void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        CheckArguments(destination, maxDecompressedBytes);
        if (source.Length > maxDecompressedBytes)
        {
            ThrowTooLarge(maxDecompressedBytes);
        }

        source.Span.CopyTo(destination.GetSpan(source.Length));
        destination.Advance(source.Length);
    }
}
