using System.Buffers;
using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// The embedded store's write-ahead log, <c>coordination.log</c>: every committed transaction since
/// the last snapshot, appended and fsynced before the tree changes (metadata changes are rare, so a
/// sync per transaction is affordable and makes every acknowledged change durable).
/// <code>
/// file    = magic "SAMSACL1" (8 bytes ASCII), then records back to back
/// record  = payloadLength int32 | crc int32 (CRC-32C of payload) | payload
/// payload = zxid int64 | time int64 (Unix ms) | opCount int32 | op*
/// op      = kind int8 (1 create, 2 delete, 3 setData) | path string
///           create:  data bytes | ephemeralOwner int64 (0 = persistent)
///           setData: data bytes
/// string  = int32 UTF-8 byte count | bytes;  bytes = int32 count | bytes;  all big-endian
/// </code>
/// Recovery keeps the longest prefix of whole, CRC-valid records. A record cut short by the end of
/// the file, a bad last record that ends exactly at the end of the file, or a zero-filled tail is a
/// write torn by a crash: it is truncated away (it was never acknowledged). A bad record with more
/// data after it is corruption and opening fails, rather than silently dropping committed changes.
/// Owned by <see cref="EmbeddedCoordinationStore"/>, used under its lock.
/// </summary>
internal sealed class TransactionLog : IDisposable
{
    public const string FileName = "coordination.log";
    public const int HeaderLength = 8;
    public const int RecordOverhead = 8;

    /// <summary>zxid, time and op count.</summary>
    public const int MinPayloadLength = 20;

    /// <summary>Bounds a multi's record (and what recovery will believe a length field).</summary>
    public const int MaxPayloadLength = 64 * 1024 * 1024;

    private static ReadOnlySpan<byte> Magic => "SAMSACL1"u8;

    private readonly FileStream _file;

    private TransactionLog(FileStream file, string path)
    {
        _file = file;
        FilePath = path;
    }

    public string FilePath { get; }

    public long Length => _file.Length;

    /// <summary>
    /// Opens (or creates) the log in <paramref name="directory"/>, holding it exclusively, and returns
    /// its valid transactions. A torn tail is truncated and synced before this returns.
    /// </summary>
    /// <exception cref="CoordinationException">SystemError: the log is corrupt or cannot be opened.</exception>
    public static TransactionLog Open(string directory, out List<Transaction> transactions, out long truncatedBytes)
    {
        string path = Path.Combine(directory, FileName);
        FileStream file;
        try
        {
            // FileShare.None doubles as the lock that keeps a second store off the same directory.
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot open coordination log {path}: {e.Message}", e);
        }

        try
        {
            byte[] content = new byte[file.Length];
            file.ReadExactly(content);
            long validEnd = Scan(content, path, out transactions);
            truncatedBytes = content.Length - validEnd;
            if (validEnd < HeaderLength)
            {
                // New file, or one whose header write was torn.
                file.SetLength(0);
                file.Seek(0, SeekOrigin.Begin);
                file.Write(Magic);
                file.Flush(flushToDisk: true);
                DirectorySync.Flush(directory);
            }
            else if (truncatedBytes > 0)
            {
                file.SetLength(validEnd);
                file.Flush(flushToDisk: true);
            }

            file.Seek(0, SeekOrigin.End);
            return new TransactionLog(file, path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            file.Dispose();
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot recover coordination log {path}: {e.Message}", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses <paramref name="content"/> and returns the end of its valid prefix (0 when even the
    /// header is incomplete).
    /// </summary>
    public static long Scan(ReadOnlySpan<byte> content, string path, out List<Transaction> transactions)
    {
        transactions = [];
        if (content.Length < HeaderLength)
        {
            if (!Magic[..content.Length].SequenceEqual(content))
            {
                throw Corrupt(path, 0, "not a coordination log (bad magic)");
            }

            return 0;
        }

        if (!content[..HeaderLength].SequenceEqual(Magic))
        {
            throw Corrupt(path, 0, "not a coordination log (bad magic)");
        }

        int position = HeaderLength;
        long lastZxid = 0;
        while (position < content.Length)
        {
            ReadOnlySpan<byte> rest = content[position..];
            if (rest.Length < RecordOverhead)
            {
                break;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(rest);
            if (length < MinPayloadLength || length > MaxPayloadLength)
            {
                if (rest.IndexOfAnyExcept((byte)0) < 0)
                {
                    break;
                }

                throw Corrupt(path, position, $"record length {length} is out of range");
            }

            if (rest.Length < RecordOverhead + length)
            {
                break;
            }

            uint crc = BinaryPrimitives.ReadUInt32BigEndian(rest[4..]);
            ReadOnlySpan<byte> payload = rest.Slice(RecordOverhead, length);
            if (Crc32C.Compute(payload) != crc)
            {
                if (rest.Length == RecordOverhead + length)
                {
                    break;
                }

                throw Corrupt(path, position, "CRC mismatch in a record that is followed by more records");
            }

            Transaction transaction;
            try
            {
                transaction = Decode(payload);
            }
            catch (InvalidDataException e)
            {
                throw Corrupt(path, position, e.Message);
            }

            if (transaction.Zxid <= lastZxid)
            {
                throw Corrupt(path, position, $"zxid {transaction.Zxid} does not follow {lastZxid}");
            }

            lastZxid = transaction.Zxid;
            transactions.Add(transaction);
            position += RecordOverhead + length;
        }

        return position;
    }

    /// <summary>Appends <paramref name="transaction"/> and fsyncs; on return it survives a crash.</summary>
    /// <exception cref="IOException">The write or sync failed; the file's tail is undefined.</exception>
    public void Append(Transaction transaction)
    {
        byte[] record = Encode(transaction);
        _file.Write(record);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>Drops every record (after a snapshot has made them redundant) and fsyncs.</summary>
    public void Reset()
    {
        _file.SetLength(HeaderLength);
        _file.Seek(0, SeekOrigin.End);
        _file.Flush(flushToDisk: true);
    }

    public void Dispose() => _file.Dispose();

    /// <summary>A whole record: length, CRC and payload.</summary>
    /// <exception cref="CoordinationException">BadArguments: the transaction is larger than <see cref="MaxPayloadLength"/>.</exception>
    public static byte[] Encode(Transaction transaction)
    {
        ArrayBufferWriter<byte> output = new(256);
        PayloadWriter.WriteInt32(output, 0);
        PayloadWriter.WriteUInt32(output, 0);
        PayloadWriter.WriteInt64(output, transaction.Zxid);
        PayloadWriter.WriteInt64(output, transaction.Time);
        PayloadWriter.WriteInt32(output, transaction.Ops.Count);
        foreach (TreeOp op in transaction.Ops)
        {
            PayloadWriter.WriteByte(output, (byte)op.Kind);
            PayloadWriter.WriteString(output, op.Path);
            if (op.Kind is TreeOpKind.Create or TreeOpKind.SetData)
            {
                PayloadWriter.WriteBytes(output, op.Data);
            }

            if (op.Kind == TreeOpKind.Create)
            {
                PayloadWriter.WriteInt64(output, op.EphemeralOwner);
            }
        }

        byte[] record = output.WrittenSpan.ToArray();
        int payloadLength = record.Length - RecordOverhead;
        if (payloadLength > MaxPayloadLength)
        {
            throw new CoordinationException(CoordinationError.BadArguments, $"Transaction of {payloadLength} bytes exceeds the limit of {MaxPayloadLength}");
        }

        BinaryPrimitives.WriteInt32BigEndian(record, payloadLength);
        BinaryPrimitives.WriteUInt32BigEndian(record.AsSpan(4), Crc32C.Compute(record.AsSpan(RecordOverhead)));
        return record;
    }

    private static Transaction Decode(ReadOnlySpan<byte> payload)
    {
        PayloadReader reader = new(payload);
        long zxid = reader.ReadInt64();
        long time = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count < 0 || count > payload.Length)
        {
            throw new InvalidDataException($"Op count {count} is out of range");
        }

        List<TreeOp> ops = new(count);
        for (int i = 0; i < count; i++)
        {
            TreeOpKind kind = (TreeOpKind)reader.ReadByte();
            string path = reader.ReadString();
            ops.Add(kind switch
            {
                TreeOpKind.Create => TreeOp.Create(path, reader.ReadBytes(), reader.ReadInt64()),
                TreeOpKind.Delete => TreeOp.Delete(path),
                TreeOpKind.SetData => TreeOp.SetData(path, reader.ReadBytes()),
                _ => throw new InvalidDataException($"Unknown op kind {(byte)kind}"),
            });
        }

        if (!reader.IsEmpty)
        {
            throw new InvalidDataException("Trailing bytes after the last op");
        }

        return new Transaction(zxid, time, ops);
    }

    private static CoordinationException Corrupt(string path, long position, string reason) =>
        new(CoordinationError.SystemError,
            $"Coordination log {path} is corrupt at byte {position}: {reason}. Refusing to open: restore the directory from a copy, or remove the file to lose every change since the last snapshot",
            path);
}
