using Samsa.Testing;

namespace Samsa.Storage.Tests;

public class EmptyFileTests
{
    [Fact]
    public void Replaces_a_file_left_at_the_path_with_an_empty_one()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "00000000000000000042.log");
        File.WriteAllBytes(path, [1, 2, 3, 4]);

        using (var handle = EmptyFile.Create(path, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
        {
            Assert.Equal(0, RandomAccess.GetLength(handle));
            RandomAccess.Write(handle, new byte[] { 9 }, 0);
        }

        Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
    }

    [SkippableFact]
    public void A_leftover_is_replaced_by_a_new_file_not_truncated_in_place()
    {
        // Truncating to zero is what made ext4 write the file back at its close; a reader holding
        // the old file (Unix keeps an unlinked file for its open handles) shows which happened.
        Skip.If(OperatingSystem.IsWindows(), "Windows keeps a file open elsewhere under its name until closed.");
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "snapshot.tmp");
        File.WriteAllBytes(path, [1, 2, 3, 4]);
        using var old = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        using (EmptyFile.Create(path, FileAccess.Write, FileShare.Read))
        {
        }

        Assert.Equal(4, RandomAccess.GetLength(old));
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void Creates_the_file_when_there_is_none()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "snapshot.tmp");

        using (EmptyFile.Create(path, FileAccess.Write, FileShare.Read))
        {
        }

        Assert.True(File.Exists(path));
        Assert.Equal(0, new FileInfo(path).Length);
    }
}
