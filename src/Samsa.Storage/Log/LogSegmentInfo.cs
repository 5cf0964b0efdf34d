namespace Samsa.Storage.Log;

/// <summary>A segment as tools and tests see it (kafka-log-dirs, DescribeLogDirs): base offset and size.</summary>
public readonly record struct LogSegmentInfo(long BaseOffset, int SizeInBytes, bool IsActive);
