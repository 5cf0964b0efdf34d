using System.Buffers.Binary;
using System.Buffers.Text;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// Kafka's 128-bit UUID (topic ids, directory ids): two big-endian 64-bit halves on the wire,
/// printed as 22 characters of unpadded base64url, as Kafka's tools print it. All-zero means "no id".
/// </summary>
public readonly record struct Uuid(long MostSignificantBits, long LeastSignificantBits)
{
    public const int Size = 16;

    public static readonly Uuid Zero;

    public bool IsZero => MostSignificantBits == 0 && LeastSignificantBits == 0;

    public static Uuid Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadInt64BigEndian(source), BinaryPrimitives.ReadInt64BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, MostSignificantBits);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], LeastSignificantBits);
    }

    /// <summary>A random (version 4) id that is never zero.</summary>
    public static Uuid NewRandom()
    {
        Span<byte> bytes = stackalloc byte[Size];
        Guid.NewGuid().TryWriteBytes(bytes);
        Uuid id = Read(bytes);
        return id.IsZero ? new Uuid(0, 1) : id;
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        Write(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryParse(string text, out Uuid value)
    {
        Span<byte> bytes = stackalloc byte[Size + 2];
        if (text is null || text.Length != 22 || !Base64Url.TryDecodeFromChars(text, bytes, out int written) || written != Size)
        {
            value = Zero;
            return false;
        }

        value = Read(bytes);
        return true;
    }
}
