using Samsa.Protocol;
using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>
/// Reads a Fetch response (v12-16, flexible) and hands each partition's error, watermarks and
/// records to the slot that sent the request; allocates nothing (see <see cref="ResponseScanner"/>).
/// </summary>
internal static class FetchResponseScanner
{
    /// <returns>The response's top-level error code and session id.</returns>
    public static (ErrorCode Error, int SessionId) Scan(ReadOnlyMemory<byte> frame, int expectedCorrelationId, short version, FetchSlot slot, ErrorTally errors)
    {
        var reader = new ProtocolReader(frame);
        ResponseScanner.ReadHeader(ref reader, expectedCorrelationId);
        _ = reader.ReadInt32(); // ThrottleTimeMs
        var error = (ErrorCode)reader.ReadInt16();
        int sessionId = reader.ReadInt32();
        if (error != ErrorCode.None)
        {
            errors.Add(error);
        }

        int topics = reader.ReadArrayCount(compact: true, minElementSize: 2);
        for (int t = 0; t < topics; t++)
        {
            if (version >= 13)
            {
                _ = reader.ReadUuid(); // TopicId
            }
            else
            {
                ResponseScanner.SkipCompactString(ref reader); // Topic
            }

            int partitions = reader.ReadArrayCount(compact: true, minElementSize: 36);
            for (int p = 0; p < partitions; p++)
            {
                int partition = reader.ReadInt32();
                var partitionError = (ErrorCode)reader.ReadInt16();
                long highWatermark = reader.ReadInt64();
                _ = reader.ReadInt64(); // LastStableOffset
                long logStartOffset = reader.ReadInt64();
                int aborted = reader.ReadArrayCount(compact: true, minElementSize: 17);
                for (int a = 0; a < aborted; a++)
                {
                    _ = reader.ReadInt64(); // ProducerId
                    _ = reader.ReadInt64(); // FirstOffset
                    ResponseScanner.SkipTaggedFields(ref reader);
                }

                _ = reader.ReadInt32(); // PreferredReadReplica
                ReadOnlyMemory<byte> records = reader.ReadNullableBytes(compact: true) ?? ReadOnlyMemory<byte>.Empty;
                ResponseScanner.SkipTaggedFields(ref reader); // DivergingEpoch, CurrentLeader, SnapshotId
                if (partitionError != ErrorCode.None)
                {
                    errors.Add(partitionError);
                }

                slot.OnPartition(partition, partitionError, highWatermark, logStartOffset, records);
            }

            ResponseScanner.SkipTaggedFields(ref reader);
        }

        ResponseScanner.SkipTaggedFields(ref reader); // NodeEndpoints (v16+)
        return (error, sessionId);
    }
}
