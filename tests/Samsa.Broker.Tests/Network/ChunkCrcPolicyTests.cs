using System.Buffers;
using System.Buffers.Binary;
using Samsa.Broker.Network;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Tests.Network;

public sealed class ChunkCrcPolicyTests
{
    [Fact]
    public void Only_Produce_frames_large_enough_to_hold_whole_chunks_get_chunk_crcs()
    {
        var policy = new ChunkCrcPolicy();

        Assert.True(policy.ShouldTake(Frame(ApiKey.Produce, ChunkedCrc32C.WorthwhileBytes)));
        Assert.False(policy.ShouldTake(Frame(ApiKey.Produce, ChunkedCrc32C.WorthwhileBytes - 1)));
        Assert.False(policy.ShouldTake(Frame(ApiKey.Fetch, 4 * ChunkedCrc32C.WorthwhileBytes)));
    }

    [Fact]
    public void A_connection_whose_frames_hold_small_batches_stops_taking_them_and_tries_again_now_and_then()
    {
        var policy = new ChunkCrcPolicy();
        ReadOnlySequence<byte> large = Frame(ApiKey.Produce, ChunkedCrc32C.WorthwhileBytes);

        // A frame of small batches: its checks joined none of its chunks.
        Assert.True(policy.ShouldTake(large));
        policy.Report(Unused());
        for (int i = 1; i < ChunkCrcPolicy.ProbeInterval; i++)
        {
            Assert.False(policy.ShouldTake(large));
        }

        // The probe: this time the batches were large, and the connection takes them again.
        Assert.True(policy.ShouldTake(large));
        policy.Report(Used());
        Assert.True(policy.ShouldTake(large));
        Assert.True(policy.ShouldTake(large));
    }

    private static ReadOnlySequence<byte> Frame(ApiKey key, int size)
    {
        byte[] frame = new byte[size];
        BinaryPrimitives.WriteInt16BigEndian(frame, (short)key);
        return new ReadOnlySequence<byte>(frame);
    }

    private static ChunkedCrc32C Unused()
    {
        byte[] buffer = new byte[ChunkedCrc32C.WorthwhileBytes];
        return ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(new byte[buffer.Length]), buffer);
    }

    private static ChunkedCrc32C Used()
    {
        byte[] buffer = new byte[ChunkedCrc32C.WorthwhileBytes];
        ChunkedCrc32C checksums = ChunkedCrc32C.CopyFrom(new ReadOnlySequence<byte>(new byte[buffer.Length]), buffer);
        Assert.True(checksums.Matches(buffer, Crc32C.Compute(buffer)));
        return checksums;
    }
}
