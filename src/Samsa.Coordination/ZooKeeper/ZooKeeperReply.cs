using System.Buffers;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// A reply to one request: the ReplyHeader's err and zxid, and the body in the pooled frame buffer
/// it arrived in, which the receiver of the reply returns with <see cref="Release"/>. A reply made
/// up locally (the connection was lost before the server answered) has no body.
/// </summary>
internal readonly struct ZooKeeperReply
{
    /// <summary>Size of a ReplyHeader: xid int32, zxid int64, err int32.</summary>
    public const int HeaderLength = 16;

    private readonly byte[]? _frame;
    private readonly int _frameLength;

    public ZooKeeperReply(CoordinationError error, long zxid, byte[]? frame, int frameLength)
    {
        Error = error;
        Zxid = zxid;
        _frame = frame;
        _frameLength = frameLength;
    }

    public CoordinationError Error { get; }

    public long Zxid { get; }

    /// <summary>True when the server did not answer: the connection ended first.</summary>
    public bool IsLocal => _frame is null;

    public ReadOnlySpan<byte> Body => _frame is null ? default : _frame.AsSpan(HeaderLength, _frameLength - HeaderLength);

    public static ZooKeeperReply Local(CoordinationError error) => new(error, 0, null, 0);

    public void Release()
    {
        if (_frame is not null)
        {
            ArrayPool<byte>.Shared.Return(_frame);
        }
    }
}
