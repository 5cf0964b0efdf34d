using System.Buffers;
using System.Buffers.Binary;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Records;

namespace Samsa.Broker.Network;

/// <summary>
/// One connection's choice of which request frames to copy with chunk CRCs (<see cref="ChunkedCrc32C"/>):
/// Produce frames of <see cref="ChunkedCrc32C.WorthwhileBytes"/> or more, while they pay off.
/// </summary>
/// <remarks>
/// They pay off only when the frame's batches are large enough to hold whole chunks. A frame of
/// many small batches (many partitions, or Java's 16 KiB batch.size) would pay for the chunk CRCs
/// and then read every batch again anyway. So once a frame's checks used fewer than half its
/// chunks the connection stops, and tries again every <see cref="ProbeInterval"/> large Produce
/// frames, in case its client's batches have grown. The receive loop asks; whichever thread
/// finishes a handler reports; the last report wins.
/// </remarks>
internal sealed class ChunkCrcPolicy
{
    /// <summary>Large Produce frames between two tries once chunk CRCs stopped paying off.</summary>
    public const int ProbeInterval = 32;

    private volatile bool _payingOff = true;

    // Receive loop only.
    private int _sinceProbe;

    /// <summary>Whether to copy this frame (its bytes after the size prefix) with chunk CRCs.</summary>
    public bool ShouldTake(in ReadOnlySequence<byte> frame)
    {
        if (frame.Length < ChunkedCrc32C.WorthwhileBytes || !IsProduce(frame))
        {
            return false;
        }

        if (_payingOff || ++_sinceProbe >= ProbeInterval)
        {
            _sinceProbe = 0;
            return true;
        }

        return false;
    }

    /// <summary>What a finished request's checks made of its frame's chunk CRCs.</summary>
    public void Report(ChunkedCrc32C used)
    {
        ArgumentNullException.ThrowIfNull(used);
        _payingOff = used.JoinedMostChunks;
    }

    /// <summary>Whether the frame's header names Produce: its first two bytes, the API key.</summary>
    private static bool IsProduce(in ReadOnlySequence<byte> frame)
    {
        Span<byte> key = stackalloc byte[sizeof(short)];
        frame.Slice(0, sizeof(short)).CopyTo(key);
        return BinaryPrimitives.ReadInt16BigEndian(key) == (short)ApiKey.Produce;
    }
}
