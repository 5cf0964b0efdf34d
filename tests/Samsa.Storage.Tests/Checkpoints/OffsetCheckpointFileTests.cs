using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class OffsetCheckpointFileTests
{
    [Fact]
    public void Read_MissingFile_IsEmpty()
    {
        using TempDirectory dir = new();

        Assert.Empty(new OffsetCheckpointFile(dir.Combine(OffsetCheckpointFile.RecoveryPointFileName)).Read());
    }

    [Fact]
    public void Read_EmptyFile_IsEmpty_AsInKafka()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");
        File.WriteAllText(path, string.Empty);

        Assert.Empty(new OffsetCheckpointFile(path).Read());
    }

    [Fact]
    public void WriteThenRead_RoundTrips()
    {
        using TempDirectory dir = new();
        OffsetCheckpointFile file = new(dir.Combine("checkpoint"));
        Dictionary<TopicPartition, long> offsets = new()
        {
            [new TopicPartition("orders", 0)] = 0,
            [new TopicPartition("orders", 7)] = 123_456_789_012,
            [new TopicPartition("__consumer_offsets", 49)] = 42,
            [new TopicPartition("a-b.c_d", 3)] = long.MaxValue,
        };

        file.Write(offsets);

        Assert.Equal(offsets.OrderBy(p => p.Key.ToString()), file.Read().OrderBy(p => p.Key.ToString()));
    }

    [Fact]
    public void Write_UsesKafkaTextFormat()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");

        new OffsetCheckpointFile(path).Write([new(new TopicPartition("t", 1), 5), new(new TopicPartition("u", 0), 9)]);

        Assert.Equal("0\n2\nt 1 5\nu 0 9\n", File.ReadAllText(path));
    }

    [Fact]
    public void Write_Empty_ReadsBackEmpty()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");
        OffsetCheckpointFile file = new(path);

        file.Write([]);

        Assert.Equal("0\n0\n", File.ReadAllText(path));
        Assert.Empty(file.Read());
    }

    [Fact]
    public void Read_FileWrittenByKafka_WithCrLfAndExtraSpaces_Parses()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");
        File.WriteAllText(path, "0\r\n2\r\ntopic-a 0 10\r\ntopic-b  3\t7\r\n");

        IReadOnlyDictionary<TopicPartition, long> offsets = new OffsetCheckpointFile(path).Read();

        Assert.Equal(10, offsets[new TopicPartition("topic-a", 0)]);
        Assert.Equal(7, offsets[new TopicPartition("topic-b", 3)]);
    }

    [Theory]
    [InlineData("1\n0\n", "line 1")]
    [InlineData("x\n0\n", "line 1")]
    [InlineData("0\nmany\n", "line 2")]
    [InlineData("0\n-1\n", "line 2")]
    [InlineData("0\n2\nt 0 1\n", "Expected 2 entries")]
    [InlineData("0\n1\nt 0 1\nt 1 2\n", "Expected 1 entries")]
    [InlineData("0\n1\nt 0\n", "line 3")]
    [InlineData("0\n1\nt 0 1 2\n", "line 3")]
    [InlineData("0\n1\nt zero 1\n", "line 3")]
    [InlineData("0\n1\nt -1 1\n", "line 3")]
    [InlineData("0\n2\nt 0 1\nt 1 x\n", "line 4")]
    [InlineData("0\n1\n\n", "line 3")]
    [InlineData("\u0000\u0001garbage\u00ff", "line 1")]
    public void Read_CorruptContents_ThrowsStorageException_NamingFileAndLine(string contents, string expected)
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");
        File.WriteAllText(path, contents);

        StorageException e = Assert.Throws<StorageException>(() => new OffsetCheckpointFile(path).Read());

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_AfterCrashedWrite_IgnoresTemporaryAndReadsOldFile()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");
        OffsetCheckpointFile file = new(path);
        file.Write([new(new TopicPartition("t", 0), 100)]);

        // What a writer killed between creating the temporary and the rename leaves behind.
        File.WriteAllText(path + ".tmp", "0\n5\nt 0 2");

        Assert.Equal(100, file.Read()[new TopicPartition("t", 0)]);

        file.Write([new(new TopicPartition("t", 0), 200)]);
        Assert.Equal(200, file.Read()[new TopicPartition("t", 0)]);
        Assert.False(File.Exists(path + ".tmp"));
    }

    [Fact]
    public void Write_TopicWithWhitespace_IsRejected()
    {
        using TempDirectory dir = new();
        string path = dir.Combine("checkpoint");

        Assert.Throws<ArgumentException>(() => new OffsetCheckpointFile(path).Write([new(new TopicPartition("bad topic", 0), 1)]));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Write_ManyPartitions_RoundTrips()
    {
        using TempDirectory dir = new();
        OffsetCheckpointFile file = new(dir.Combine("checkpoint"));
        Dictionary<TopicPartition, long> offsets = [];
        for (int i = 0; i < 10_000; i++)
        {
            offsets[new TopicPartition("topic-" + (i % 100), i / 100)] = i * 1_000L;
        }

        file.Write(offsets);

        IReadOnlyDictionary<TopicPartition, long> read = file.Read();
        Assert.Equal(offsets.Count, read.Count);
        foreach (KeyValuePair<TopicPartition, long> pair in offsets)
        {
            Assert.Equal(pair.Value, read[pair.Key]);
        }
    }
}
