using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Compresses and decompresses the records section of a batch (never the 61-byte header). Codec
/// instances are immutable and safe to share between threads; each call keeps its state on the
/// stack or in objects it creates. Decompression always takes a caller-chosen output limit because
/// the compressed bytes come from clients and peers: a small input that inflates to gigabytes must
/// end as a <see cref="ProtocolException"/>, never as an allocation.
/// </summary>
public abstract class CompressionCodec
{
    // Decoders that only offer a Stream are drained in chunks of this size so the output buffer
    // grows with the real data, not with a size the input claims.
    private const int StreamChunkSize = 16 * 1024;

    private protected CompressionCodec()
    {
    }

    public abstract CompressionType Type { get; }

    /// <summary>Appends the compressed form of <paramref name="source"/> to <paramref name="destination"/>.</summary>
    public abstract void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination);

    /// <summary>
    /// Appends the decompressed form of <paramref name="source"/> to <paramref name="destination"/>.
    /// Throws <see cref="ProtocolException"/> if the input is corrupt or would produce more than
    /// <paramref name="maxDecompressedBytes"/> bytes; the destination then holds a partial result.
    /// </summary>
    public abstract void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes);

    /// <summary>The shared default-configured codec for a wire compression type.</summary>
    public static CompressionCodec ForType(CompressionType type) => type switch
    {
        CompressionType.None => NoCompressionCodec.Instance,
        CompressionType.Gzip => GzipCodec.Default,
        CompressionType.Snappy => SnappyCodec.Default,
        CompressionType.Lz4 => Lz4Codec.Default,
        CompressionType.Zstd => ZstdCodec.Default,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown compression type; validate the batch first."),
    };

    /// <summary>
    /// Drains a decoding stream into the destination, reading at most one byte past the limit so
    /// an oversized result is detected without ever buffering it.
    /// </summary>
    private protected static void CopyBounded(Stream decoder, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        long total = 0;
        while (true)
        {
            long budget = maxDecompressedBytes - total + 1;
            Span<byte> span = destination.GetSpan(StreamChunkSize);
            if (span.Length > budget)
            {
                span = span[..(int)budget];
            }

            int read = decoder.Read(span);
            if (read == 0)
            {
                return;
            }

            destination.Advance(read);
            total += read;
            if (total > maxDecompressedBytes)
            {
                ThrowTooLarge(maxDecompressedBytes);
            }
        }
    }

    private protected static void CheckArguments(PooledBufferWriter destination, int maxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDecompressedBytes);
    }

    private protected static void ThrowTooLarge(int maxDecompressedBytes) =>
        throw new ProtocolException($"Decompressed records exceed the limit of {maxDecompressedBytes} bytes.");

    private protected static ProtocolException Corrupt(CompressionType type, Exception inner) =>
        new($"Corrupt {type} compressed records: {inner.Message}", inner);

    private protected static ProtocolException Corrupt(CompressionType type, string reason) =>
        new($"Corrupt {type} compressed records: {reason}");
}
