using System.Buffers;
using Samsa.Protocol.Primitives;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Zstandard records (standard frames; Java's zstd-jni streams them without a content size).
/// Decoding streams span to span through a per-thread decompression context, so the output is
/// bounded by the caller's limit and the window by <see cref="MaxWindowLog"/>.
/// </summary>
public sealed class ZstdCodec : CompressionCodec
{
    /// <summary>Kafka's compression.zstd.level default.</summary>
    public const int DefaultLevel = 3;

    /// <summary>
    /// Largest window a frame may demand (zstd's own default limit, 128 MiB). The decoder allocates
    /// the window a frame declares, so we allow only what the output limit could need, but never
    /// less than 2^23: streamed frames at levels up to 19 declare that much even for tiny batches.
    /// </summary>
    public const int MaxWindowLog = 27;

    private const int MinWindowLog = 23;

    private const int OutputChunkSize = 64 * 1024;

    // A decompression context is costly to build; one per thread is reused across calls and reset
    // at the start of each. Thread-pool threads are long-lived, so this stays a handful of contexts.
    [ThreadStatic]
    private static Decompressor? _threadDecompressor;

    public ZstdCodec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, Compressor.MinCompressionLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, Compressor.MaxCompressionLevel);
        Level = level;
    }

    public static ZstdCodec Default { get; } = new();

    public int Level { get; }

    public override CompressionType Type => CompressionType.Zstd;

    public override void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var compressor = new Compressor(Level);
        Span<byte> span = destination.GetSpan(Compressor.GetCompressBound(source.Length));
        destination.Advance(compressor.Wrap(source, span));
    }

    public override void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        CheckArguments(destination, maxDecompressedBytes);
        Decompressor decompressor = _threadDecompressor ??= new Decompressor();
        try
        {
            decompressor.ResetStream();
            decompressor.SetParameter(ZSTD_dParameter.ZSTD_d_windowLogMax, WindowLogFor(maxDecompressedBytes));
            Decode(decompressor, source.Span, destination, maxDecompressedBytes);
        }
        catch (ZstdException ex)
        {
            throw Corrupt(Type, ex);
        }
    }

    private static void Decode(Decompressor decompressor, ReadOnlySpan<byte> input, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        long total = 0;
        while (true)
        {
            long budget = maxDecompressedBytes - total + 1;
            Span<byte> span = destination.GetSpan(OutputChunkSize);
            if (span.Length > budget)
            {
                span = span[..(int)budget];
            }

            OperationStatus status = decompressor.UnwrapStream(input, span, out int consumed, out int written);
            input = input[consumed..];
            destination.Advance(written);
            total += written;
            if (total > maxDecompressedBytes)
            {
                ThrowTooLarge(maxDecompressedBytes);
            }

            switch (status)
            {
                case OperationStatus.Done when input.IsEmpty:
                    return;
                case OperationStatus.InvalidData:
                    throw Corrupt(CompressionType.Zstd, "invalid frame data");
                case OperationStatus.NeedMoreData when input.IsEmpty:
                    throw Corrupt(CompressionType.Zstd, "truncated frame");
                default:
                    // Done with input left: another frame follows. DestinationTooSmall: loop for a
                    // fresh span. Guard against a decoder that stops making progress.
                    if (consumed == 0 && written == 0 && status != OperationStatus.DestinationTooSmall)
                    {
                        throw Corrupt(CompressionType.Zstd, "decoder made no progress");
                    }

                    break;
            }
        }
    }

    private static int WindowLogFor(int maxDecompressedBytes)
    {
        int needed = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(maxDecompressedBytes, 1) - 1);
        return Math.Clamp(needed, MinWindowLog, MaxWindowLog);
    }
}
