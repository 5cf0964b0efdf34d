using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Hash.xxHash;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Protocol.Tests.Records;
using Snappier;

namespace Samsa.Protocol.Tests.Compression;

public class CompressionCodecTests
{
    private const int Limit = 1024 * 1024;

    public static TheoryData<string> CodecNames() => RecordBatchBuilderTests.CodecNames();

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void CompressThenDecompress_RoundTrips(string codecName)
    {
        CompressionCodec codec = RecordBatchBuilderTests.Find(codecName);
        foreach (int size in new[] { 0, 1, 100, 32 * 1024, (32 * 1024) + 1, 300_000 })
        {
            byte[] data = Data(size);
            byte[] compressed = Compress(codec, data);
            Assert.Equal(data, Decompress(codec, compressed, Limit));
        }
    }

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void OutputPastLimit_IsRejectedWithoutBufferingIt(string codecName)
    {
        CompressionCodec codec = RecordBatchBuilderTests.Find(codecName);
        byte[] compressed = Compress(codec, new byte[8 * Limit]); // zeros: a small input that explodes

        using var output = new PooledBufferWriter();
        Assert.Throws<ProtocolException>(() => codec.Decompress(compressed, output, Limit));
        Assert.True(output.WrittenCount <= Limit + 1, $"buffered {output.WrittenCount} bytes");

        // Exactly at the limit is fine.
        byte[] exact = Compress(codec, new byte[Limit]);
        Assert.Equal(Limit, Decompress(codec, exact, Limit).Length);
    }

    [Fact]
    public void CompressedBatch_DecompressingPastLimit_IsRejected()
    {
        foreach (CompressionCodec codec in TestBatch.AllCodecs())
        {
            if (codec.Type == CompressionType.None)
            {
                continue;
            }

            using var output = new PooledBufferWriter();
            using (var builder = new RecordBatchBuilder(output, codec, 0))
            {
                builder.Append(0, null, new byte[4 * Limit]);
                builder.Complete();
            }

            byte[] batch = output.ToArray();
            Assert.True(batch.Length < Limit / 4);
            Assert.Equal(RecordBatchStatus.Valid, RecordBatch.TryValidate(batch));
            using var scratch = new PooledBufferWriter();
            Assert.Throws<ProtocolException>(() => RecordBatch.GetRecords(batch, scratch, Limit));
        }
    }

    [Fact]
    public void Snappy_DeclaredLengthPastLimit_IsRejectedBeforeDecoding()
    {
        // A raw block whose preamble claims 2 GiB; no decoder ever sees it.
        byte[] bomb = [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0x00];
        using var output = new PooledBufferWriter();
        Assert.Throws<ProtocolException>(() => SnappyCodec.Default.Decompress(bomb, output, Limit));
        Assert.Equal(0, output.WrittenCount);

        // The same claim inside xerial framing, after a legitimate chunk that used up the budget.
        byte[] framed = Xerial(Snappy.CompressToArray(new byte[Limit]), bomb);
        Assert.Throws<ProtocolException>(() => SnappyCodec.Default.Decompress(framed, output, Limit));
    }

    [Fact]
    public void Snappy_XerialFramedByHand_AroundRawSnappierBlocks_Decodes()
    {
        byte[] first = Data(32 * 1024);
        byte[] second = Data(1000);
        byte[] framed = Xerial(Snappy.CompressToArray(first), Snappy.CompressToArray(second));
        Assert.Equal([.. first, .. second], Decompress(SnappyCodec.Default, framed, Limit));
        Assert.Equal([.. first, .. second], Decompress(new SnappyCodec(xerialFraming: false), framed, Limit));
    }

    [Fact]
    public void Snappy_RawSnappierOutput_Decodes()
    {
        byte[] data = Data(70_000);
        Assert.Equal(data, Decompress(SnappyCodec.Default, Snappy.CompressToArray(data), Limit));
    }

    [Fact]
    public void Snappy_EncodesXerialFraming_LikeTheJavaClient()
    {
        byte[] data = Data(80_000);
        byte[] framed = Compress(SnappyCodec.Default, data);
        Assert.Equal(new byte[] { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 }, framed[..16]);

        // Chunks of at most 32 KiB of input, each an independent raw snappy block.
        var decoded = new List<byte>();
        int pos = 16;
        int chunks = 0;
        while (pos < framed.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(framed.AsSpan(pos));
            byte[] chunk = Snappy.DecompressToArray(framed.AsSpan(pos + 4, length));
            Assert.True(chunk.Length <= 32 * 1024);
            decoded.AddRange(chunk);
            pos += 4 + length;
            chunks++;
        }

        Assert.Equal(3, chunks);
        Assert.Equal(data, decoded.ToArray());

        byte[] raw = Compress(new SnappyCodec(xerialFraming: false), data);
        Assert.Equal(data, Snappy.DecompressToArray(raw));
    }

    [Fact]
    public void Lz4_WritesStandardFrameHeader_WithValidHeaderChecksum()
    {
        byte[] frame = Compress(Lz4Codec.Default, Data(1000));
        Assert.Equal(new byte[] { 0x04, 0x22, 0x4D, 0x18 }, frame[..4]); // magic, little-endian 0x184D2204
        Assert.Equal(0x60, frame[4]); // version 01, independent blocks, no checksums, no content size
        Assert.Equal(0x40, frame[5]); // 64 KiB max block size
        byte expected = (byte)((XXH32.DigestOf(frame, 4, 2) >> 8) & 0xFF);
        Assert.Equal(expected, frame[6]);
    }

    [Fact]
    public void Lz4_BadHeaderChecksum_IsRejected()
    {
        byte[] frame = Compress(Lz4Codec.Default, Data(1000));
        frame[6] ^= 0xFF;
        using var output = new PooledBufferWriter();
        Assert.Throws<ProtocolException>(() => Lz4Codec.Default.Decompress(frame, output, Limit));
    }

    [Fact]
    public void Gzip_OutputIsStandardGzip()
    {
        byte[] data = Data(5000);
        byte[] compressed = Compress(GzipCodec.Default, data);
        Assert.Equal(new byte[] { 0x1F, 0x8B }, compressed[..2]);
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var plain = new MemoryStream();
        gzip.CopyTo(plain);
        Assert.Equal(data, plain.ToArray());
    }

    [Fact]
    public void Zstd_StreamedFramesWithoutContentSize_AndConcatenatedFrames_Decode()
    {
        byte[] data = Data(200_000);
        using var sink = new MemoryStream();
        using (var zstd = new ZstdSharp.CompressionStream(sink, 3))
        {
            zstd.Write(data);
        }

        byte[] streamed = sink.ToArray();
        Assert.Equal(data, Decompress(ZstdCodec.Default, streamed, Limit));

        byte[] two = [.. streamed, .. Compress(ZstdCodec.Default, data)];
        Assert.Equal([.. data, .. data], Decompress(ZstdCodec.Default, two, Limit));
    }

    [Theory]
    [MemberData(nameof(CodecNames))]
    public void CorruptOrTruncatedInput_ThrowsOnlyProtocolException(string codecName)
    {
        CompressionCodec codec = RecordBatchBuilderTests.Find(codecName);
        if (codec.Type == CompressionType.None)
        {
            return;
        }

        byte[] good = Compress(codec, Data(50_000));
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] bad = (byte[])good.Clone();
            if (trial % 3 == 0)
            {
                bad = bad[..random.Next(bad.Length)];
            }
            else
            {
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    bad[random.Next(bad.Length)] ^= (byte)random.Next(1, 256);
                }
            }

            using var output = new PooledBufferWriter();
            try
            {
                codec.Decompress(bad, output, Limit);
            }
            catch (ProtocolException)
            {
            }

            Assert.True(output.WrittenCount <= Limit + 1);
        }
    }

    [Fact]
    public void ForType_ReturnsCodecOfThatType()
    {
        foreach (CompressionType type in Enum.GetValues<CompressionType>())
        {
            Assert.Equal(type, CompressionCodec.ForType(type).Type);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => CompressionCodec.ForType((CompressionType)5));
    }

    private static byte[] Data(int size)
    {
        // Compressible but not trivial: repeated words with some noise.
        var data = new byte[size];
        var random = new Random(size);
        for (int i = 0; i < size; i++)
        {
            data[i] = i % 7 == 0 ? (byte)random.Next(256) : (byte)"kafka-records"[i % 13];
        }

        return data;
    }

    private static byte[] Compress(CompressionCodec codec, byte[] data)
    {
        using var output = new PooledBufferWriter();
        codec.Compress(data, output);
        return output.ToArray();
    }

    private static byte[] Decompress(CompressionCodec codec, byte[] data, int limit)
    {
        using var output = new PooledBufferWriter();
        codec.Decompress(data, output, limit);
        return output.ToArray();
    }

    private static byte[] Xerial(params byte[][] chunks)
    {
        var framed = new List<byte> { 0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1 };
        foreach (byte[] chunk in chunks)
        {
            var length = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, chunk.Length);
            framed.AddRange(length);
            framed.AddRange(chunk);
        }

        return framed.ToArray();
    }
}
