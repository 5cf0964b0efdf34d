using System.Buffers.Binary;

namespace Samsa.Protocol.Records;

/// <summary>
/// Reads the key every control record starts with: int16 version, int16 type. Consumers and the
/// log cleaner use the type to tell transaction markers from other control records.
/// </summary>
public static class ControlRecord
{
    /// <summary>Bytes of a control record key (version + type).</summary>
    public const int KeySize = 4;

    /// <summary>The key version we write. Newer versions keep the type where version 0 has it.</summary>
    public const short CurrentKeyVersion = 0;

    /// <summary>
    /// Reads a control key's type. False for a key too short or with a negative version; an
    /// unrecognised type code reads as <see cref="ControlRecordType.Unknown"/>, as in Kafka.
    /// </summary>
    public static bool TryReadType(ReadOnlySpan<byte> key, out ControlRecordType type)
    {
        type = ControlRecordType.Unknown;
        if (key.Length < KeySize || BinaryPrimitives.ReadInt16BigEndian(key) < 0)
        {
            return false;
        }

        short code = BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        type = code is >= (short)ControlRecordType.Abort and <= (short)ControlRecordType.SnapshotFooter
            ? (ControlRecordType)code
            : ControlRecordType.Unknown;
        return true;
    }

    internal static void WriteKey(Span<byte> destination, ControlRecordType type)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, CurrentKeyVersion);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)type);
    }
}
