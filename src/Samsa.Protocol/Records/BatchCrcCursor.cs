using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// Checks the CRCs of a run of whole batches front to back, a piece at a time, so the caller can
/// hand each piece on (the log writes it to its file) while the check has just brought it into the
/// core's cache. A batch that is no longer cached is then read from memory once, not twice (once
/// for its CRC, once more by the kernel's copy into the page cache). The batches must have passed
/// <see cref="RecordBatch.TryValidateExceptCrc"/>: their lengths are trusted.
/// </summary>
public ref struct BatchCrcCursor
{
    private readonly ReadOnlySpan<byte> _batches;
    private int _checkedTo;
    private int _batchStart;
    private int _batchEnd;
    private uint _register;

    public BatchCrcCursor(ReadOnlySpan<byte> batches)
    {
        _batches = batches;
        _register = ~0u;
        _batchEnd = batches.IsEmpty ? 0 : BatchEnd(batches, 0);
    }

    /// <summary>
    /// Takes the CRCs of every byte before <paramref name="end"/> not yet seen. False when a batch
    /// that ends there or before has a CRC that does not match; the cursor stays at that batch.
    /// </summary>
    public bool CheckThrough(int end)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(end, _batches.Length);
        while (_checkedTo < end)
        {
            int covered = _batchStart + RecordBatch.AttributesOffset;
            int from = Math.Max(_checkedTo, covered);
            int to = Math.Min(end, _batchEnd);
            if (from < to)
            {
                _register = Crc32C.Update(_register, _batches[from..to]);
            }

            _checkedTo = to;
            if (to < _batchEnd)
            {
                return true;
            }

            if (~_register != BinaryPrimitives.ReadUInt32BigEndian(_batches[(_batchStart + RecordBatch.CrcOffset)..]))
            {
                return false;
            }

            _register = ~0u;
            _batchStart = _batchEnd;
            _batchEnd = _batchStart < _batches.Length ? BatchEnd(_batches, _batchStart) : _batchStart;
        }

        return true;
    }

    private static int BatchEnd(ReadOnlySpan<byte> batches, int start) =>
        start + RecordBatch.LogOverhead + BinaryPrimitives.ReadInt32BigEndian(batches[(start + RecordBatch.BatchLengthOffset)..]);
}
