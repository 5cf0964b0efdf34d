namespace Samsa.Storage.Tests.Cleaning;

/// <summary>One record read back from a log; a null value is a tombstone.</summary>
internal readonly record struct StoredRecord(long Offset, string Key, int? Value, long Timestamp);
