using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Records;

namespace Samsa.Storage.Log;

/// <summary>
/// Walks the batch headers of a segment file between two positions, reading the file in chunks of
/// the caller's buffer (usually stack memory) and decoding only the 61-byte headers: how lookups
/// go from an index entry to the batch holding an offset, and how indexes are rebuilt. It checks
/// structure only (length, magic), never CRCs; recovery reads whole batches for that. The caller
/// owns the handle and keeps it alive (a lease) while scanning.
/// </summary>
internal ref struct BatchHeaderScanner
{
    private readonly SafeFileHandle _file;
    private readonly Span<byte> _buffer;
    private readonly int _end;
    private int _position;
    private int _bufferStart;
    private int _bufferLength;
    private int _headerStart;
    private BatchScanStatus _status;

    public BatchHeaderScanner(SafeFileHandle file, Span<byte> buffer, int start, int end)
    {
        if (buffer.Length < RecordBatch.HeaderSize)
        {
            throw new ArgumentException("The scan buffer must hold a batch header.", nameof(buffer));
        }

        _file = file;
        _buffer = buffer;
        _position = start;
        _end = end;
        _bufferStart = start;
        _bufferLength = 0;
    }

    public readonly BatchScanStatus Status => _status;

    /// <summary>Where the next batch starts; after a stop, where the scan stopped.</summary>
    public readonly int Position => _position;

    /// <summary>The 61 header bytes of the batch the last successful <see cref="TryNext"/> returned (producer fields and all).</summary>
    public readonly ReadOnlySpan<byte> CurrentHeader => _buffer.Slice(_headerStart, RecordBatch.HeaderSize);

    public bool TryNext(out BatchHeaderInfo batch)
    {
        batch = default;
        if (_status != BatchScanStatus.InProgress)
        {
            return false;
        }

        int available = _end - _position;
        if (available <= 0)
        {
            _status = available == 0 ? BatchScanStatus.Complete : BatchScanStatus.Truncated;
            return false;
        }

        if (available < RecordBatch.HeaderSize)
        {
            _status = BatchScanStatus.Truncated;
            return false;
        }

        if (_position < _bufferStart || _position + RecordBatch.HeaderSize > _bufferStart + _bufferLength)
        {
            int want = Math.Min(_buffer.Length, available);
            int read = ReadFully(_file, _buffer[..want], _position);
            _bufferStart = _position;
            _bufferLength = read;
            if (read < RecordBatch.HeaderSize)
            {
                // The file is shorter than the bound said: cut underneath us (truncation race) or torn.
                _status = BatchScanStatus.Truncated;
                return false;
            }
        }

        ReadOnlySpan<byte> header = _buffer.Slice(_position - _bufferStart, RecordBatch.HeaderSize);
        int batchLength = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (batchLength < RecordBatch.HeaderSize - RecordBatch.LogOverhead || header[16] != RecordBatch.CurrentMagic)
        {
            _status = BatchScanStatus.Invalid;
            return false;
        }

        long size = (long)batchLength + RecordBatch.LogOverhead;
        if (size > available)
        {
            _status = BatchScanStatus.Truncated;
            return false;
        }

        if (BinaryPrimitives.ReadInt32BigEndian(header[23..]) < 0)
        {
            _status = BatchScanStatus.Invalid;
            return false;
        }

        batch = BatchHeaderInfo.Read(header, _position);
        _headerStart = _position - _bufferStart;
        _position += (int)size;
        return true;
    }

    /// <summary>Reads until the span is full or the file ends; returns the bytes read.</summary>
    public static int ReadFully(SafeFileHandle file, Span<byte> destination, long position)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int n = RandomAccess.Read(file, destination[total..], position + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
