using System.Diagnostics.CodeAnalysis;

namespace Samsa.Protocol.Primitives;

/// <summary>
/// Throw helpers kept out of line so the hot read paths that call them stay small enough to inline.
/// </summary>
internal static class ProtocolThrow
{
    [DoesNotReturn]
    public static void Truncated(int needed, int remaining) =>
        throw new ProtocolException($"Truncated input: needed {needed} more bytes but only {remaining} remain.");

    [DoesNotReturn]
    public static void BadLength(string what, long length, int remaining) =>
        throw new ProtocolException($"Invalid {what} length {length} ({remaining} bytes remain).");

    [DoesNotReturn]
    public static void BadVarint() =>
        throw new ProtocolException("Malformed varint: more than the allowed number of bytes.");

    [DoesNotReturn]
    public static void UnexpectedNull(string what) =>
        throw new ProtocolException($"Null {what} where the schema does not allow null.");

    [DoesNotReturn]
    public static void Invalid(string message) => throw new ProtocolException(message);
}
