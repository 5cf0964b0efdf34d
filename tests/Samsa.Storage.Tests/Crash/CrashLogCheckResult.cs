namespace Samsa.Storage.Tests.Crash;

/// <summary>What <see cref="CrashLogCheck"/> found in a recovered log: its end offset, stored batches and segments.</summary>
internal readonly record struct CrashLogCheckResult(long LogEnd, int Batches, int Segments);
