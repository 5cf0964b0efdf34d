using Samsa.Protocol.Primitives;
using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class PartitionMetadataFileTests
{
    [Fact]
    public void Read_MissingFile_IsNull()
    {
        using TempDirectory dir = new();

        Assert.Null(new PartitionMetadataFile(dir.Combine(PartitionMetadataFile.FileName)).Read());
    }

    [Fact]
    public void WriteThenRead_RoundTrips_InKafkaFormat()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(PartitionMetadataFile.FileName);
        PartitionMetadataFile file = new(path);
        Uuid topicId = Uuid.NewRandom();

        file.Write(topicId);

        Assert.Equal($"version: 0\ntopic_id: {topicId}\n", File.ReadAllText(path));
        Assert.Equal(topicId, file.Read());
    }

    [Fact]
    public void Read_FileWithoutTrailingNewline_AsKafkaWritesIt()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(PartitionMetadataFile.FileName);
        File.WriteAllText(path, "version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ");

        Assert.Equal(new Uuid(0, 1), new PartitionMetadataFile(path).Read());
    }

    [Fact]
    public void Write_ZeroId_IsRejected()
    {
        using TempDirectory dir = new();

        Assert.Throws<ArgumentException>(() => new PartitionMetadataFile(dir.Combine("p")).Write(Uuid.Zero));
    }

    [Theory]
    [InlineData("", "line 1")]
    [InlineData("version: 1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n", "line 1")]
    [InlineData("version 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\n", "line 1")]
    [InlineData("version: 0\n", "line 2")]
    [InlineData("version: 0\ntopic_id: not-a-uuid\n", "line 2")]
    [InlineData("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n", "line 2")]
    [InlineData("version: 0\ntopicid: AAAAAAAAAAAAAAAAAAAAAQ\n", "line 2")]
    [InlineData("version: 0\ntopic_id: AAAAAAAAAAAAAAAAAAAAAQ\nextra\n", "line 3")]
    public void Read_CorruptContents_ThrowsStorageException(string contents, string expected)
    {
        using TempDirectory dir = new();
        string path = dir.Combine(PartitionMetadataFile.FileName);
        File.WriteAllText(path, contents);

        StorageException e = Assert.Throws<StorageException>(() => new PartitionMetadataFile(path).Read());

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AfterCrashedWrite_IgnoresTemporary()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(PartitionMetadataFile.FileName);
        PartitionMetadataFile file = new(path);
        Uuid topicId = Uuid.NewRandom();
        file.Write(topicId);
        File.WriteAllText(path + ".tmp", "version: 0\ntopic_");

        Assert.Equal(topicId, file.Read());
    }
}
