namespace Samsa.Protocol.Records;

/// <summary>
/// A header to write through <see cref="RecordBatchBuilder"/>: the key's UTF-8 bytes (never null)
/// and a value that may be null. Arrays rather than memory, so null stays null.
/// </summary>
public readonly record struct RecordHeaderEntry(byte[] Key, byte[]? Value);
