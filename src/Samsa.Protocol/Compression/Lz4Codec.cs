using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Compression;

/// <summary>
/// LZ4 records in the standard LZ4 frame format. Magic 2 batches always use the correct frame
/// header checksum (only magic 0 had Kafka's broken one), and K4os verifies it on decode. We write
/// what Kafka's Java client writes: independent 64 KiB blocks, no block or content checksums and no
/// content size, because the Java reader rejects dependent (chained) blocks.
/// </summary>
public sealed class Lz4Codec : CompressionCodec
{
    /// <summary>Kafka's compression.lz4.level default.</summary>
    public const int DefaultLevel = 9;

    public const int MinLevel = 1;

    public const int MaxLevel = 17;

    private const int BlockSize = 64 * 1024;

    private readonly LZ4Level _level;

    public Lz4Codec(int level = DefaultLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        Level = level;

        // Kafka maps level 1 to the fast compressor and 2-17 to lz4-java's HC levels, which cap at
        // 12 in the reference implementation; K4os names the same scale.
        _level = level switch
        {
            1 => LZ4Level.L00_FAST,
            < 3 => LZ4Level.L03_HC,
            > 12 => LZ4Level.L12_MAX,
            _ => (LZ4Level)level,
        };
    }

    public static Lz4Codec Default { get; } = new();

    public int Level { get; }

    public override CompressionType Type => CompressionType.Lz4;

    public override void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var settings = new LZ4EncoderSettings
        {
            ChainBlocks = false,
            BlockSize = BlockSize,
            BlockChecksum = false,
            ContentChecksum = false,
            CompressionLevel = _level,
        };
        using var sink = new BufferWriterStream(destination);
        using var lz4 = LZ4Stream.Encode(sink, settings, leaveOpen: true);
        lz4.Write(source);
    }

    public override void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        CheckArguments(destination, maxDecompressedBytes);
        using var input = new ReadOnlyMemoryStream(source);
        try
        {
            // The frame header caps the decoder's block buffer at 4 MiB, so its memory is bounded
            // whatever the input claims; CopyBounded bounds the output.
            using var lz4 = LZ4Stream.Decode(input, new LZ4DecoderSettings(), leaveOpen: true, interactive: false);
            CopyBounded(lz4, destination, maxDecompressedBytes);
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(Type, ex);
        }
        catch (IOException ex)
        {
            throw Corrupt(Type, ex);
        }
        catch (ArgumentException ex)
        {
            // K4os reports some malformed frame descriptors (e.g. an unknown block size) this way.
            throw Corrupt(Type, ex);
        }
        catch (InvalidOperationException ex)
        {
            // ...and some corrupt block headers as a decoder state error.
            throw Corrupt(Type, ex);
        }
    }
}
