using Samsa.Broker.Partitions;
using Samsa.Protocol;

namespace Samsa.Broker.Groups;

/// <summary>
/// Records appended to an offsets partition's leader log: done once the high watermark reaches
/// <paramref name="RequiredHighWatermark"/>. <paramref name="Error"/> is the append's raw error
/// (callers map it to the group or offset error Kafka answers).
/// </summary>
internal readonly record struct GroupWrite(ErrorCode Error, Partition? Partition, long RequiredHighWatermark)
{
    public static GroupWrite Done => new(ErrorCode.None, null, 0);
}
