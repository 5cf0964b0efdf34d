using System.Collections;
using System.Collections.Concurrent;
using System.Reflection;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Fuzzer;

/// <summary>What a response frame said, as far as the fuzzer cares.</summary>
public enum ResponseVerdict
{
    /// <summary>Decoded; no error code anywhere in it.</summary>
    Ok,

    /// <summary>Decoded; some error code (top level, per topic or per partition) is not NONE.</summary>
    Error,

    /// <summary>The body does not decode at the version asked for: a broker encoding bug.</summary>
    Undecodable,
}

/// <summary>
/// Decodes a response with the generated message types and looks for non-zero <c>ErrorCode</c>
/// fields at any depth. Reflection is fine here: this is the fuzzer's side, not the broker's.
/// </summary>
public static class ResponseInspector
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> Properties = new();

    /// <param name="payload">The response frame after its size prefix (header and body).</param>
    public static ResponseVerdict Inspect(ReadOnlyMemory<byte> payload, ApiKey key, short version)
    {
        ResponseVerdict verdict = TryInspect(payload, key, version);
        // KIP-511: an ApiVersions at a version the broker does not speak is answered at v0.
        if (verdict == ResponseVerdict.Undecodable && key == ApiKey.ApiVersions && version != 0)
        {
            verdict = TryInspect(payload, key, 0);
        }

        return verdict;
    }

    private static ResponseVerdict TryInspect(ReadOnlyMemory<byte> payload, ApiKey key, short version)
    {
        IResponseData? body = ApiMessageTable.CreateResponse(key);
        if (body is null)
        {
            return ResponseVerdict.Undecodable;
        }

        try
        {
            var reader = new ProtocolReader(payload);
            new ResponseHeader().Read(ref reader, ResponseHeader.HeaderVersionFor(key, version));
            body.Read(ref reader, version);
            return reader.End && !HasError(body, depth: 0) ? ResponseVerdict.Ok
                : reader.End ? ResponseVerdict.Error
                : ResponseVerdict.Undecodable;
        }
        catch (ProtocolException)
        {
            return ResponseVerdict.Undecodable;
        }
    }

    private static bool HasError(object node, int depth)
    {
        if (depth > 8)
        {
            return false;
        }

        foreach (PropertyInfo property in Properties.GetOrAdd(node.GetType(), static t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance)))
        {
            if (property.GetIndexParameters().Length != 0)
            {
                continue;
            }

            object? value = property.GetValue(node);
            switch (value)
            {
                case short code when property.Name == "ErrorCode" && code != 0:
                    return true;
                case IList list when list.Count > 0 && IsMessageNode(list[0]):
                    foreach (object? item in list)
                    {
                        if (item is not null && HasError(item, depth + 1))
                        {
                            return true;
                        }
                    }

                    break;
                case not null when IsMessageNode(value) && HasError(value, depth + 1):
                    return true;
            }
        }

        return false;
    }

    /// <summary>A generated message or one of its nested structs (which live in the same namespace).</summary>
    private static bool IsMessageNode(object? value) =>
        value is not null && value.GetType().IsClass && value.GetType().Namespace == typeof(ApiKey).Namespace;
}
