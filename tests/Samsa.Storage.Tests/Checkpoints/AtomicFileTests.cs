using System.Text;
using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class AtomicFileTests
{
    [Fact]
    public void Write_CreatesFile_AndLeavesNoTemporary()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("file");

        AtomicFile.Write(path, "hello"u8);

        Assert.Equal("hello", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Write_ReplacesExistingContents_IncludingLongerOnes()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("file");
        AtomicFile.Write(path, "a much longer first version"u8);

        AtomicFile.Write(path, "short"u8);

        Assert.Equal("short", File.ReadAllText(path));
    }

    [Fact]
    public void Write_OverLeftoverTemporaryFromCrashedWrite_Succeeds()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("file");
        File.WriteAllText(path + ".tmp", "torn garbage from a crash, longer than the new contents");

        AtomicFile.Write(path, "new"u8);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Write_EmptyContents_CreatesEmptyFile()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("file");

        AtomicFile.Write(path, ReadOnlySpan<byte>.Empty);

        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void Write_IntoMissingDirectory_ThrowsStorageException_NamingThePath()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("missing", "file");

        StorageException e = Assert.Throws<StorageException>(() => AtomicFile.Write(path, "x"u8));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_WhenTargetIsADirectory_FailsAndCleansUpTemporary()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("occupied");
        Directory.CreateDirectory(path);

        Assert.Throws<StorageException>(() => AtomicFile.Write(path, "x"u8));

        Assert.True(Directory.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Write_RelativePath_IsResolvedAgainstCurrentDirectory()
    {
        using TempDirectory dir = new();
        string relative = Path.GetRelativePath(Environment.CurrentDirectory, dir.Combine("relative"));

        AtomicFile.Write(relative, Encoding.UTF8.GetBytes("rel"));

        Assert.Equal("rel", File.ReadAllText(dir.Combine("relative")));
    }
}
