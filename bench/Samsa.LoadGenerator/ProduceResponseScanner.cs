using Samsa.Protocol;
using Samsa.Protocol.Primitives;

namespace Samsa.LoadGenerator;

/// <summary>
/// Reads a Produce response (v9-12, flexible) far enough to count the partitions the broker
/// acknowledged and tally the error codes of the others; allocates nothing (see <see cref="ResponseScanner"/>).
/// </summary>
internal static class ProduceResponseScanner
{
    /// <returns>Partitions answered with no error.</returns>
    public static int Scan(ReadOnlyMemory<byte> frame, int expectedCorrelationId, ErrorTally errors)
    {
        var reader = new ProtocolReader(frame);
        ResponseScanner.ReadHeader(ref reader, expectedCorrelationId);
        int acknowledged = 0;
        int topics = reader.ReadArrayCount(compact: true, minElementSize: 2);
        for (int t = 0; t < topics; t++)
        {
            ResponseScanner.SkipCompactString(ref reader); // Name (v9-12)
            int partitions = reader.ReadArrayCount(compact: true, minElementSize: 33);
            for (int p = 0; p < partitions; p++)
            {
                _ = reader.ReadInt32(); // Index
                var error = (ErrorCode)reader.ReadInt16();
                _ = reader.ReadInt64(); // BaseOffset
                _ = reader.ReadInt64(); // LogAppendTimeMs
                _ = reader.ReadInt64(); // LogStartOffset
                int recordErrors = reader.ReadArrayCount(compact: true, minElementSize: 6);
                for (int e = 0; e < recordErrors; e++)
                {
                    _ = reader.ReadInt32(); // BatchIndex
                    ResponseScanner.SkipCompactString(ref reader); // BatchIndexErrorMessage
                    ResponseScanner.SkipTaggedFields(ref reader);
                }

                ResponseScanner.SkipCompactString(ref reader); // ErrorMessage
                ResponseScanner.SkipTaggedFields(ref reader); // CurrentLeader (v10+)
                if (error == ErrorCode.None)
                {
                    acknowledged++;
                }
                else
                {
                    errors.Add(error);
                }
            }

            ResponseScanner.SkipTaggedFields(ref reader);
        }

        _ = reader.ReadInt32(); // ThrottleTimeMs
        ResponseScanner.SkipTaggedFields(ref reader); // NodeEndpoints (v10+)
        return acknowledged;
    }
}
