using System.Text;

namespace Samsa.Protocol.Records;

/// <summary>One record header as borrowed bytes: a UTF-8 key (never null) and a nullable value.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool isValueNull)
    {
        Key = key;
        Value = value;
        IsValueNull = isValueNull;
    }

    /// <summary>The key's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Key { get; }

    /// <summary>The value bytes; empty when <see cref="IsValueNull"/>.</summary>
    public ReadOnlySpan<byte> Value { get; }

    public bool IsValueNull { get; }

    /// <summary>Decodes the key; allocates, so keep it off per-record hot paths.</summary>
    public string GetKeyString() => Encoding.UTF8.GetString(Key);
}
