using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>What the log needs from one stored batch's header, and where the batch sits in its segment.</summary>
internal readonly record struct BatchHeaderInfo(
    int Position,
    int Size,
    long BaseOffset,
    long LastOffset,
    long MaxTimestamp,
    int PartitionLeaderEpoch)
{
    public int End => Position + Size;

    /// <summary>Decodes a header already known to be structurally sound (length and magic checked).</summary>
    public static BatchHeaderInfo Read(ReadOnlySpan<byte> header, int position)
    {
        long baseOffset = BinaryPrimitives.ReadInt64BigEndian(header);
        return new BatchHeaderInfo(
            position,
            BinaryPrimitives.ReadInt32BigEndian(header[8..]) + RecordBatch.LogOverhead,
            baseOffset,
            baseOffset + BinaryPrimitives.ReadInt32BigEndian(header[23..]),
            BinaryPrimitives.ReadInt64BigEndian(header[35..]),
            BinaryPrimitives.ReadInt32BigEndian(header[12..]));
    }
}
