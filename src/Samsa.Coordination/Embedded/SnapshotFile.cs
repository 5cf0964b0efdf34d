using System.Buffers;
using System.Buffers.Binary;
using Samsa.Protocol.Records;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// The embedded store's snapshot, <c>coordination.snapshot</c>: the whole tree as of one zxid, so
/// the log can be emptied. Replaced atomically (write <c>.tmp</c>, fsync, rename, fsync the
/// directory), so it is always a complete old or new snapshot; a bad CRC is therefore corruption.
/// <code>
/// file    = magic "SAMSACS1" (8 bytes ASCII) | payloadLength int32 | crc int32 (CRC-32C of payload) | payload
/// payload = lastZxid int64 | nodeCount int32 | node*   (root first, parents before children)
/// node    = path string | data bytes | czxid int64 | mzxid int64 | ctime int64 | mtime int64
///           | version int32 | cversion int32 | ephemeralOwner int64 | pzxid int64
/// </code>
/// Same string/bytes encoding as <see cref="TransactionLog"/>.
/// </summary>
internal static class SnapshotFile
{
    public const string FileName = "coordination.snapshot";
    public const string TemporarySuffix = ".tmp";
    private const int HeaderLength = 16;

    private static ReadOnlySpan<byte> Magic => "SAMSACS1"u8;

    public static void Write(string directory, DataTree tree)
    {
        ArrayBufferWriter<byte> output = new(4096);
        output.Write(Magic);
        PayloadWriter.WriteInt32(output, 0);
        PayloadWriter.WriteUInt32(output, 0);
        PayloadWriter.WriteInt64(output, tree.LastZxid);
        PayloadWriter.WriteInt32(output, tree.Count);
        foreach (KeyValuePair<string, DataNode> entry in tree.PreOrder())
        {
            DataNode node = entry.Value;
            PayloadWriter.WriteString(output, entry.Key);
            PayloadWriter.WriteBytes(output, node.Data);
            PayloadWriter.WriteInt64(output, node.Czxid);
            PayloadWriter.WriteInt64(output, node.Mzxid);
            PayloadWriter.WriteInt64(output, node.Ctime);
            PayloadWriter.WriteInt64(output, node.Mtime);
            PayloadWriter.WriteInt32(output, node.Version);
            PayloadWriter.WriteInt32(output, node.Cversion);
            PayloadWriter.WriteInt64(output, node.EphemeralOwner);
            PayloadWriter.WriteInt64(output, node.Pzxid);
        }

        byte[] contents = output.WrittenSpan.ToArray();
        Span<byte> payload = contents.AsSpan(HeaderLength);
        BinaryPrimitives.WriteInt32BigEndian(contents.AsSpan(8), payload.Length);
        BinaryPrimitives.WriteUInt32BigEndian(contents.AsSpan(12), Crc32C.Compute(payload));

        string path = Path.Combine(directory, FileName);
        string temporaryPath = path + TemporarySuffix;
        using (FileStream stream = new(temporaryPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
        {
            stream.Write(contents);

            // On disk before the rename, or a crash could leave the new name on a partial file.
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporaryPath, path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    /// <summary>The tree in <paramref name="directory"/>'s snapshot, or an empty tree if there is none.</summary>
    /// <exception cref="CoordinationException">SystemError: the snapshot is corrupt or unreadable.</exception>
    public static DataTree Read(string directory)
    {
        string path = Path.Combine(directory, FileName);
        DataTree tree = new();
        byte[] contents;
        try
        {
            // A .tmp is a snapshot whose write crashed before its rename: never valid, never read.
            File.Delete(path + TemporarySuffix);
            if (!File.Exists(path))
            {
                return tree;
            }

            contents = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Cannot read coordination snapshot {path}: {e.Message}", e);
        }

        try
        {
            if (contents.Length < HeaderLength || !contents.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            {
                throw new InvalidDataException("not a coordination snapshot (bad magic or too short)");
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(contents.AsSpan(8));
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(contents.AsSpan(12));
            if (length != contents.Length - HeaderLength)
            {
                throw new InvalidDataException($"payload length {length} does not match the file size {contents.Length}");
            }

            ReadOnlySpan<byte> payload = contents.AsSpan(HeaderLength);
            if (Crc32C.Compute(payload) != crc)
            {
                throw new InvalidDataException("CRC mismatch");
            }

            PayloadReader reader = new(payload);
            tree.RestoreLastZxid(reader.ReadInt64());
            int count = reader.ReadInt32();
            for (int i = 0; i < count; i++)
            {
                string nodePath = reader.ReadString();
                byte[] data = reader.ReadBytes();
                long czxid = reader.ReadInt64();
                long mzxid = reader.ReadInt64();
                long ctime = reader.ReadInt64();
                long mtime = reader.ReadInt64();
                int version = reader.ReadInt32();
                int cversion = reader.ReadInt32();
                long owner = reader.ReadInt64();
                long pzxid = reader.ReadInt64();
                DataNode node = new(data, czxid, ctime, owner)
                {
                    Mzxid = mzxid,
                    Mtime = mtime,
                    Version = version,
                    Cversion = cversion,
                    Pzxid = pzxid,
                };
                if (i == 0 && nodePath != CoordinationPath.Root)
                {
                    throw new InvalidDataException("the first node is not the root");
                }

                CoordinationPath.Validate(nodePath);
                tree.Restore(nodePath, node);
            }

            if (!reader.IsEmpty)
            {
                throw new InvalidDataException("trailing bytes after the last node");
            }
        }
        catch (Exception e) when (e is InvalidDataException or CoordinationException)
        {
            throw new CoordinationException(CoordinationError.SystemError, $"Coordination snapshot {path} is corrupt: {e.Message}", path, innerException: e);
        }

        return tree;
    }
}
