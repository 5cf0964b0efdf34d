using System.Diagnostics;
using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class LogDirectoryLockTests
{
    [Fact]
    public void Acquire_CreatesLockFile()
    {
        using TempDirectory dir = new();

        using LogDirectoryLock directoryLock = LogDirectoryLock.Acquire(dir.Path);

        Assert.True(File.Exists(dir.Combine(".lock")));
        Assert.Equal(dir.Path, directoryLock.LogDir);
    }

    [Fact]
    public void SecondAcquire_WhileHeld_FailsWithInUse()
    {
        using TempDirectory dir = new();
        using LogDirectoryLock first = LogDirectoryLock.Acquire(dir.Path);

        StorageException e = Assert.Throws<StorageException>(() => LogDirectoryLock.Acquire(dir.Path));

        Assert.Equal($"Log directory {dir.Path} is in use by another process", e.Message);
    }

    [Fact]
    public void Acquire_AfterDispose_Succeeds_AndLeavesTheFile()
    {
        using TempDirectory dir = new();
        LogDirectoryLock first = LogDirectoryLock.Acquire(dir.Path);
        first.Dispose();

        using LogDirectoryLock second = LogDirectoryLock.Acquire(dir.Path);

        Assert.True(File.Exists(dir.Combine(".lock")));
    }

    [Fact]
    public void Acquire_WhileAnotherExclusiveOpenHoldsTheFile_Fails()
    {
        // Any other exclusive open counts, not just our own type: this is the path another process
        // running .NET would take.
        using TempDirectory dir = new();
        using FileStream other = new(dir.Combine(".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);

        Assert.Throws<StorageException>(() => LogDirectoryLock.Acquire(dir.Path));
    }

    [Fact]
    public void Acquire_InMissingDirectory_FailsWithoutClaimingInUse()
    {
        using TempDirectory dir = new();

        StorageException e = Assert.Throws<StorageException>(() => LogDirectoryLock.Acquire(dir.Combine("missing")));

        Assert.DoesNotContain("in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnotherProcess_CannotLockWhileHeld_AndCanAfterDispose()
    {
        // flock(1) from util-linux takes the same advisory lock .NET takes for FileShare.None on
        // Unix, from a separate process: this proves the exclusion crosses process boundaries.
        const string FlockPath = "/usr/bin/flock";
        if (!OperatingSystem.IsLinux() || !File.Exists(FlockPath))
        {
            return;
        }

        using TempDirectory dir = new();
        string lockPath = dir.Combine(".lock");
        const int Conflict = 99;

        using (LogDirectoryLock held = LogDirectoryLock.Acquire(dir.Path))
        {
            Assert.Equal(Conflict, await RunAsync(FlockPath, "--nonblock", "--conflict-exit-code", "99", lockPath, "true"));
        }

        Assert.Equal(0, await RunAsync(FlockPath, "--nonblock", "--conflict-exit-code", "99", lockPath, "true"));
    }

    private static async Task<int> RunAsync(string fileName, params string[] arguments)
    {
        ProcessStartInfo start = new(fileName, arguments) { UseShellExecute = false };
        using Process process = Process.Start(start)!;
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }
}
