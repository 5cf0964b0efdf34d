using System.Globalization;
using Samsa.Storage.Log;
using Samsa.Testing;
using Xunit.Abstractions;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// What an idle partition costs: many logs with one small segment each, opened after a clean
/// shutdown, then idle resources released. SAMSA_IDLE_PARTITIONS raises the count (10000 for the
/// figure in the storage notes); the default keeps the suite fast.
/// </summary>
/// <remarks>
/// Runs alone: it measures the whole process's managed heap, which tests running beside it would
/// inflate.
/// </remarks>
[Collection(nameof(MemoryMeasurementCollection))]
public sealed class PartitionLogIdleFootprintTests(ITestOutputHelper output)
{
    [Fact]
    public void Idle_partitions_hold_no_handles_and_little_memory()
    {
        int count = int.TryParse(Environment.GetEnvironmentVariable("SAMSA_IDLE_PARTITIONS"), CultureInfo.InvariantCulture, out int n) ? n : 200;
        using var dir = new TempDirectory("idle");
        var clock = new ManualClock();
        for (int i = 0; i < count; i++)
        {
            var tp = new TopicPartition("idle", i);
            PartitionLog log = PartitionLog.Open(dir.Combine(tp.DirectoryName), tp, LogConfig.Default, clock, 0, true);
            log.AppendAsLeader(LogTestKit.Batch(3, 1000), 0);
            log.Close();
        }

        int handlesBefore = Directory.GetFiles("/proc/self/fd").Length;
        long memoryBefore = GC.GetTotalMemory(forceFullCollection: true);
        long residentBefore = Environment.WorkingSet;
        var logs = new PartitionLog[count];
        for (int i = 0; i < count; i++)
        {
            var tp = new TopicPartition("idle", i);
            logs[i] = PartitionLog.Open(dir.Combine(tp.DirectoryName), tp, LogConfig.Default, clock, 3, true);
        }

        long memoryOpen = GC.GetTotalMemory(forceFullCollection: true);
        int handlesOpen = Directory.GetFiles("/proc/self/fd").Length;
        foreach (PartitionLog log in logs)
        {
            log.ReleaseIdleResources();
        }

        long memoryIdle = GC.GetTotalMemory(forceFullCollection: true);
        int handlesIdle = Directory.GetFiles("/proc/self/fd").Length;

        // Resident memory (managed heap, native buffers, runtime) is reported, not asserted: the GC
        // keeps freed segments for a while, so it moves with what ran before.
        long residentIdle = Environment.WorkingSet;
        output.WriteLine($"{count} partitions: open {(memoryOpen - memoryBefore) / count} B/partition, {handlesOpen - handlesBefore} handles; "
            + $"after release {(memoryIdle - memoryBefore) / count} B/partition, {handlesIdle - handlesBefore} handles; "
            + $"resident memory {(residentIdle - residentBefore) / count} B/partition");

        Assert.True(handlesOpen - handlesBefore <= 5);
        Assert.True(handlesIdle - handlesBefore <= 5);
        Assert.True((memoryIdle - memoryBefore) / count < 4096);
        Assert.Equal(3, logs[^1].LogEndOffset);
        foreach (PartitionLog log in logs)
        {
            log.Close();
        }

        GC.KeepAlive(logs);
    }
}

/// <summary>Tests that measure process-wide memory; xunit runs this collection with nothing else.</summary>
[CollectionDefinition(nameof(MemoryMeasurementCollection), DisableParallelization = true)]
public sealed class MemoryMeasurementCollection;
