using Samsa.Storage.Log;

namespace Samsa.Broker.Tests;

/// <summary>A real disk fault for tests: a log's only segment file becomes a directory, so reopening it fails (EISDIR).</summary>
internal static class BrokenSegment
{
    /// <summary>Closes the log's idle file handles, then swaps its segment file for a directory; the next open of it fails.</summary>
    public static void Break(PartitionLog log)
    {
        log.ReleaseIdleResources();
        string segment = Directory.GetFiles(log.Directory, "*.log").Single();
        File.Delete(segment);
        Directory.CreateDirectory(segment);
    }
}
