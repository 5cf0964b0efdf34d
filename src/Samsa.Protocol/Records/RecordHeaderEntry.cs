namespace Samsa.Protocol.Records;

/// <summary>
/// A header to write through <see cref="RecordBatchBuilder"/>: UTF-8 key bytes and a value that is
/// null when <see cref="Value"/> has no value. Beware that a null byte[] converts to an empty,
/// non-null value; pass <c>null</c> itself for a null header value.
/// </summary>
public readonly record struct RecordHeaderEntry(ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte>? Value);
