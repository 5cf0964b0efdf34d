using System.Buffers.Binary;
using Samsa.Protocol.Primitives;
using Snappier;

namespace Samsa.Protocol.Compression;

/// <summary>
/// Snappy records. Two encodings exist on the wire: the Java client writes xerial's framing
/// (a 16-byte header, then [int32 big-endian length, raw snappy block] chunks) and librdkafka
/// writes one raw snappy block. Decoding accepts both, told apart by the xerial magic; encoding
/// uses the framing unless the codec is built raw, because old Java consumers read only that.
/// </summary>
public sealed class SnappyCodec : CompressionCodec
{
    /// <summary>xerial's magic (0x82 "SNAPPY" 0x00) plus version and compatible-version int32s.</summary>
    internal const int XerialHeaderSize = 16;

    /// <summary>xerial-snappy's default block size; the Java client's chunks are at most this big.</summary>
    internal const int XerialBlockSize = 32 * 1024;

    private const int XerialVersion = 1;

    private const int XerialCompatibleVersion = 1;

    public SnappyCodec(bool xerialFraming = true)
    {
        XerialFraming = xerialFraming;
    }

    public static SnappyCodec Default { get; } = new();

    public bool XerialFraming { get; }

    public override CompressionType Type => CompressionType.Snappy;

    internal static ReadOnlySpan<byte> XerialMagic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    public override void Compress(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!XerialFraming)
        {
            CompressBlock(source, destination);
            return;
        }

        Span<byte> header = destination.GetSpan(XerialHeaderSize);
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], XerialVersion);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], XerialCompatibleVersion);
        destination.Advance(XerialHeaderSize);

        while (!source.IsEmpty)
        {
            ReadOnlySpan<byte> chunk = source[..Math.Min(source.Length, XerialBlockSize)];
            source = source[chunk.Length..];
            Span<byte> span = destination.GetSpan(sizeof(int) + Snappy.GetMaxCompressedLength(chunk.Length));
            int written = Snappy.Compress(chunk, span[sizeof(int)..]);
            BinaryPrimitives.WriteInt32BigEndian(span, written);
            destination.Advance(sizeof(int) + written);
        }
    }

    public override void Decompress(ReadOnlyMemory<byte> source, PooledBufferWriter destination, int maxDecompressedBytes)
    {
        CheckArguments(destination, maxDecompressedBytes);
        ReadOnlySpan<byte> input = source.Span;
        if (!input.StartsWith(XerialMagic))
        {
            DecompressBlock(input, destination, maxDecompressedBytes, maxDecompressedBytes);
            return;
        }

        if (input.Length < XerialHeaderSize)
        {
            throw Corrupt(Type, "truncated xerial header");
        }

        // The version fields are informational: every xerial writer uses chunk framing version 1.
        input = input[XerialHeaderSize..];
        int budget = maxDecompressedBytes;
        while (!input.IsEmpty)
        {
            if (input.Length < sizeof(int))
            {
                throw Corrupt(Type, "truncated xerial chunk length");
            }

            int chunkLength = BinaryPrimitives.ReadInt32BigEndian(input);
            input = input[sizeof(int)..];
            if (chunkLength < 0 || chunkLength > input.Length)
            {
                throw Corrupt(Type, "xerial chunk length beyond the data");
            }

            budget -= DecompressBlock(input[..chunkLength], destination, budget, maxDecompressedBytes);
            input = input[chunkLength..];
        }
    }

    private static void CompressBlock(ReadOnlySpan<byte> source, PooledBufferWriter destination)
    {
        Span<byte> span = destination.GetSpan(Snappy.GetMaxCompressedLength(source.Length));
        destination.Advance(Snappy.Compress(source, span));
    }

    /// <summary>Decodes one raw snappy block, checking its declared length against the budget before allocating.</summary>
    private static int DecompressBlock(ReadOnlySpan<byte> block, PooledBufferWriter destination, int budget, int maxDecompressedBytes)
    {
        // Snappy's preamble is the uncompressed length as an unsigned varint; reading it ourselves
        // keeps a hostile length from reaching an allocation.
        if (!Varint.TryReadUnsigned(block, out uint declared, out _))
        {
            throw Corrupt(CompressionType.Snappy, "bad length preamble");
        }

        if (declared > (uint)budget)
        {
            ThrowTooLarge(maxDecompressedBytes);
        }

        int length = (int)declared;
        try
        {
            if (!Snappy.TryDecompress(block, destination.GetSpan(Math.Max(length, 1))[..length], out int written) || written != length)
            {
                throw Corrupt(CompressionType.Snappy, "block does not match its declared length");
            }

            destination.Advance(written);
            return written;
        }
        catch (InvalidDataException ex)
        {
            throw Corrupt(CompressionType.Snappy, ex);
        }
        catch (ArgumentException ex)
        {
            throw Corrupt(CompressionType.Snappy, ex);
        }
    }
}
