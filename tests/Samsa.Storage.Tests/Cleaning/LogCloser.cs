using Samsa.Storage.Log;

namespace Samsa.Storage.Tests.Cleaning;

/// <summary>Closes a log at the end of a test's using block.</summary>
internal sealed class LogCloser(PartitionLog log) : IDisposable
{
    public PartitionLog Log { get; } = log;

    public void Dispose() => Log.Close();
}
