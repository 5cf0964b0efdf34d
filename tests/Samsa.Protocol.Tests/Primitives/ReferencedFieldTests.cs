using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Primitives;

/// <summary>
/// A writer that references large byte fields (the broker's send loop) must put the same bytes on
/// the wire, in the same order, as one that copies them.
/// </summary>
public sealed class ReferencedFieldTests
{
    [Theory]
    [InlineData(4)]
    [InlineData(12)]
    [InlineData(16)]
    public void Gathered_frames_equal_copied_frames(short version)
    {
        // Two partitions above the threshold, one below, one empty: and two frames in one output, so
        // the second frame's size prefix is computed after the first frame's references.
        FetchResponseData first = Response(PooledBufferWriter.MinReferencedLength + 7, 100, PooledBufferWriter.MinReferencedLength * 3);
        FetchResponseData second = Response(0, PooledBufferWriter.MinReferencedLength);

        using var copied = new PooledBufferWriter();
        Frame.WriteResponse(copied, 1, first, version);
        Frame.WriteResponse(copied, 2, second, version);

        using var referencing = new PooledBufferWriter { ReferencesLargeFields = true };
        Frame.WriteResponse(referencing, 1, first, version);
        Frame.WriteResponse(referencing, 2, second, version);

        Assert.True(referencing.HasReferences);
        Assert.Equal((5 * PooledBufferWriter.MinReferencedLength) + 7, referencing.ReferencedCount);
        Assert.Equal(copied.WrittenSpan.ToArray(), Gather(referencing));
    }

    [Fact]
    public void Small_fields_and_a_writer_without_the_option_copy()
    {
        using var referencing = new PooledBufferWriter { ReferencesLargeFields = true };
        Frame.WriteResponse(referencing, 9, Response(PooledBufferWriter.MinReferencedLength - 1), 16);
        Assert.False(referencing.HasReferences);

        using var plain = new PooledBufferWriter();
        Frame.WriteResponse(plain, 9, Response(PooledBufferWriter.MinReferencedLength * 2), 16);
        Assert.False(plain.HasReferences);
        Assert.Equal(0, plain.ReferencedCount);
    }

    [Fact]
    public void Clear_forgets_references()
    {
        using var referencing = new PooledBufferWriter { ReferencesLargeFields = true };
        Frame.WriteResponse(referencing, 1, Response(PooledBufferWriter.MinReferencedLength), 16);
        referencing.Clear();

        Assert.False(referencing.HasReferences);
        Assert.Equal(0, referencing.ReferencedCount);
        var parts = new List<ReadOnlyMemory<byte>>();
        referencing.GetParts(parts);
        Assert.Empty(parts);
    }

    /// <summary>The whole output as one array, as a gathered write puts it on the wire (a file region's bytes read from its file).</summary>
    internal static byte[] Gather(PooledBufferWriter writer)
    {
        var parts = new List<ReadOnlyMemory<byte>>();
        writer.GetParts(parts);
        var all = new List<byte>();
        foreach (ReadOnlyMemory<byte> part in parts)
        {
            all.AddRange(part.ToArray());
        }

        return [.. all];
    }

    private static FetchResponseData Response(params int[] recordSizes)
    {
        var topic = new FetchResponseData.FetchableTopicResponse { Topic = "t", TopicId = Uuid.Zero };
        var random = new Random(recordSizes.Length);
        for (int i = 0; i < recordSizes.Length; i++)
        {
            byte[] records = new byte[recordSizes[i]];
            random.NextBytes(records);
            topic.Partitions.Add(new FetchResponseData.PartitionData { PartitionIndex = i, HighWatermark = 42 + i, Records = records });
        }

        var response = new FetchResponseData();
        response.Responses.Add(topic);
        return response;
    }
}
