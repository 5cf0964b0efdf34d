using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class LeaderEpochCheckpointFileTests
{
    [Fact]
    public void Read_MissingFile_IsEmpty()
    {
        using TempDirectory dir = new();

        Assert.Empty(new LeaderEpochCheckpointFile(dir.Combine(LeaderEpochCheckpointFile.FileName)).Read());
    }

    [Fact]
    public void WriteThenRead_RoundTrips_InKafkaFormat()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        LeaderEpochCheckpointFile file = new(path);
        EpochEntry[] entries = [new(0, 0), new(3, 150), new(7, 9_000_000_000)];

        file.Write(entries);

        Assert.Equal("0\n3\n0 0\n3 150\n7 9000000000\n", File.ReadAllText(path));
        Assert.Equal(entries, file.Read());
    }

    [Theory]
    [InlineData("2\n0\n", "line 1")]
    [InlineData("0\n3\n1 0\n", "Expected 3 entries")]
    [InlineData("0\n1\n1\n", "line 3")]
    [InlineData("0\n1\n1 0 5\n", "line 3")]
    [InlineData("0\n2\n1 0\nepoch 5\n", "line 4")]
    [InlineData("0\n1\n99999999999 0\n", "line 3")]
    public void Read_CorruptContents_ThrowsStorageException_NamingFileAndLine(string contents, string expected)
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        File.WriteAllText(path, contents);

        StorageException e = Assert.Throws<StorageException>(() => new LeaderEpochCheckpointFile(path).Read());

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AfterCrashedWrite_IgnoresTemporary()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(LeaderEpochCheckpointFile.FileName);
        LeaderEpochCheckpointFile file = new(path);
        file.Write([new(1, 10)]);
        File.WriteAllText(path + ".tmp", "0\n2\n1 10\n2");

        Assert.Equal([new EpochEntry(1, 10)], file.Read());
    }
}
