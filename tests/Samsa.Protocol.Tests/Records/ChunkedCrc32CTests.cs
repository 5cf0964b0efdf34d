using System.Buffers;
using CsCheck;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

/// <summary>
/// The CRC of a range joined from chunk CRCs taken as the buffer was filled must be the CRC of
/// the range's bytes, wherever the range starts and ends, however the source was split.
/// </summary>
public class ChunkedCrc32CTests
{
    private const int Chunk = ChunkedCrc32C.ChunkBytes;

    [Fact]
    public void Any_range_of_a_copied_buffer_gets_the_crc_of_its_bytes_and_the_copy_is_exact()
    {
        // Up to 20 chunks and a bit, cut into segments of up to 3 chunks (a pipe's buffers), any
        // range in it: inside one chunk, across boundaries, aligned or not, up to the very end.
        Gen.Select(Gen.Int[0, (20 * Chunk) + 100], Gen.Int, Gen.Int[1, 3 * Chunk], Gen.Double[0, 1], Gen.Double[0, 1])
            .Sample((length, seed, segmentBytes, from, to) =>
            {
                byte[] source = new byte[length];
                new Random(seed).NextBytes(source);
                // A pooled buffer is larger than what was copied into it: ranges may run past the copy.
                byte[] destination = new byte[length + (2 * Chunk)];
                new Random(~seed).NextBytes(destination);
                ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(Segmented(source, segmentBytes), destination);
                Assert.True(source.AsSpan().SequenceEqual(destination.AsSpan(0, length)));

                int start = (int)(Math.Min(from, to) * destination.Length);
                int end = (int)(Math.Max(from, to) * destination.Length);
                AssertJoinedRight(checksums, destination, start, end, length);
            }, iter: 300);
    }

    [Fact]
    public void Ranges_that_start_or_end_at_a_chunk_boundary_or_one_byte_either_side_are_joined_right()
    {
        const int Length = (5 * Chunk) + 123;
        byte[] destination = new byte[Length + Chunk];
        new Random(5).NextBytes(destination);
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(destination.AsSpan(0, Length).ToArray()), destination);
        int[] edges = [0, 1, Chunk - 1, Chunk, Chunk + 1, (2 * Chunk) - 1, 2 * Chunk, (2 * Chunk) + 1, 5 * Chunk, Length - 1, Length, Length + 1, destination.Length];
        foreach (int start in edges)
        {
            foreach (int end in edges)
            {
                if (start <= end)
                {
                    AssertJoinedRight(checksums, destination, start, end, Length);
                }
            }
        }
    }

    [Fact]
    public void A_buffer_whose_checks_joined_fewer_than_half_its_chunks_says_so()
    {
        // A frame of small batches: the chunk CRCs were taken and hardly used.
        byte[] destination = new byte[8 * Chunk];
        new Random(13).NextBytes(destination);
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(destination.ToArray()), destination);
        Assert.False(checksums.JoinedMostChunks);

        ReadOnlyMemory<byte> small = destination.AsMemory(10, Chunk);
        Assert.True(checksums.Matches(small, Crc32C.Compute(small.Span)));
        Assert.False(checksums.JoinedMostChunks);

        ReadOnlyMemory<byte> large = destination.AsMemory(2 * Chunk, 4 * Chunk);
        Assert.True(checksums.Matches(large, Crc32C.Compute(large.Span)));
        Assert.True(checksums.JoinedMostChunks);
    }

    [Fact]
    public void A_range_spanning_whole_chunks_is_joined_from_them_without_reading_them()
    {
        byte[] destination = new byte[10 * Chunk];
        new Random(7).NextBytes(destination);
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(destination.ToArray()), destination);
        ReadOnlyMemory<byte> range = destination.AsMemory(100, (8 * Chunk) + 50);
        uint crc = Crc32C.Compute(range.Span);

        // Zeroing the middle chunks after the copy leaves the joined CRC as it was: it came from the chunks.
        destination.AsSpan(2 * Chunk, 6 * Chunk).Clear();
        Assert.True(checksums.TryJoin(range, out uint joined));
        Assert.Equal(crc, joined);
    }

    [Fact]
    public void Bytes_changed_after_the_copy_are_read_again_rather_than_refused()
    {
        // A batch stamped in place no longer matches its chunks: its own CRC still decides.
        byte[] destination = new byte[6 * Chunk];
        new Random(11).NextBytes(destination);
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(destination.ToArray()), destination);
        ReadOnlyMemory<byte> range = destination.AsMemory(10, (5 * Chunk) - 20);
        uint before = Crc32C.Compute(range.Span);

        destination[3 * Chunk] ^= 0x40;
        uint after = Crc32C.Compute(range.Span);
        Assert.True(checksums.Matches(range, after));
        Assert.True(checksums.TryJoin(range, out uint joined));
        Assert.Equal(before, joined);
    }

    [Fact]
    public void Memory_of_another_buffer_is_checked_by_reading_it()
    {
        byte[] destination = new byte[4 * Chunk];
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(new byte[4 * Chunk]), destination);
        byte[] other = new byte[4 * Chunk];
        new Random(3).NextBytes(other);
        uint crc = Crc32C.Compute(other);

        Assert.False(checksums.TryJoin(other, out _));
        Assert.True(checksums.Matches(other, crc));
        Assert.False(checksums.Matches(other, crc ^ 1));
    }

    [Fact]
    public void Batches_checked_with_chunk_crcs_get_the_same_verdict_as_batches_read_in_full()
    {
        // Whole batches of up to 300 KB at any place in a received buffer, intact or with one
        // flipped bit anywhere: the verdict with chunk CRCs is the verdict without.
        Gen.Select(Gen.Int[1, 300], Gen.Int[0, 3 * Chunk], Gen.Int, Gen.Int[-1, int.MaxValue])
            .Sample((records, at, seed, flip) =>
            {
                var random = new Random(seed);
                var values = new List<TestRecord>(records);
                for (int i = 0; i < records; i++)
                {
                    byte[] value = new byte[random.Next(0, 1000)];
                    random.NextBytes(value);
                    values.Add(new TestRecord(1, 1_700_000_000_000 + i, null, value, []));
                }

                byte[] batch = TestBatch.Build(CompressionCodec.ForType(CompressionType.None), 0, values);
                byte[] received = new byte[at + batch.Length];
                batch.CopyTo(received, at);
                if (flip >= 0)
                {
                    int bit = flip % (batch.Length * 8);
                    received[at + (bit / 8)] ^= (byte)(1 << (bit % 8));
                }

                byte[] frame = new byte[received.Length];
                ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(received), frame);
                ReadOnlyMemory<byte> stored = frame.AsMemory(at, batch.Length);
                Assert.Equal(RecordBatch.TryValidate(stored.Span), RecordBatch.TryValidate(stored, checksums));
            }, iter: 100);
    }

    /// <summary>
    /// The range's CRC is right however it is computed, and it is joined from the chunks exactly
    /// when it holds a whole chunk of the copied bytes.
    /// </summary>
    private static void AssertJoinedRight(ChunkedCrc32C checksums, byte[] destination, int start, int end, int copied)
    {
        ReadOnlyMemory<byte> range = destination.AsMemory(start, end - start);
        uint crc = Crc32C.Compute(range.Span);
        Assert.True(checksums.Matches(range, crc));
        Assert.False(checksums.Matches(range, ~crc));

        int firstWhole = (start + Chunk - 1) / Chunk;
        bool holdsWholeChunk = Math.Min(end, copied / Chunk * Chunk) - (firstWhole * Chunk) >= Chunk;
        Assert.Equal(holdsWholeChunk, checksums.TryJoin(range, out uint joined));
        if (holdsWholeChunk)
        {
            Assert.True(crc == joined, $"range [{start}, {end}) of {copied} copied bytes");
        }
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentBytes)
    {
        if (bytes.Length <= segmentBytes)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, segmentBytes), 0);
        Segment last = first;
        for (int at = segmentBytes; at < bytes.Length; at += segmentBytes)
        {
            last = last.Append(bytes.AsMemory(at, Math.Min(segmentBytes, bytes.Length - at)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
