using Samsa.Protocol.Primitives;
using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class MetaPropertiesFileTests
{
    private const string ClusterId = "Fu1ZD4MhQ0Gj0ZKMxJY2Qw";

    [Fact]
    public void Read_MissingFile_IsNull()
    {
        using TempDirectory dir = new();

        Assert.Null(new MetaPropertiesFile(dir.Combine(MetaPropertiesFile.FileName)).Read());
    }

    [Fact]
    public void Write_Version0_InJavaPropertiesFormat_WithDateFromClock()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        ManualClock clock = new(new DateTimeOffset(2026, 3, 5, 14, 7, 9, TimeSpan.Zero));
        MetaPropertiesFile file = new(path, clock);

        file.Write(new MetaProperties(0, 3, null, ClusterId, null));

        Assert.Equal($"#\n#Thu Mar 05 14:07:09 UTC 2026\nversion=0\ncluster.id={ClusterId}\nbroker.id=3\n", File.ReadAllText(path));
        Assert.Equal(new MetaProperties(0, 3, null, ClusterId, null), file.Read());
    }

    [Fact]
    public void WriteThenRead_Version1_RoundTrips()
    {
        using TempDirectory dir = new();
        MetaPropertiesFile file = new(dir.Combine(MetaPropertiesFile.FileName), new ManualClock());
        MetaProperties properties = new(1, null, 7, ClusterId, Uuid.NewRandom());

        file.Write(properties);

        Assert.Equal(properties, file.Read());
    }

    [Fact]
    public void WriteThenRead_ClusterIdNeedingEscapes_RoundTrips()
    {
        using TempDirectory dir = new();
        MetaPropertiesFile file = new(dir.Combine(MetaPropertiesFile.FileName), new ManualClock());
        MetaProperties properties = new(0, 1, null, " odd:id=#1!\\é\t", null);

        file.Write(properties);

        Assert.Equal(properties, file.Read());
    }

    [Fact]
    public void Read_FileWrittenByKafka_Parses()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        File.WriteAllText(path, "#\n#Tue Mar 12 10:00:00 UTC 2024\nnode.id=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAQ\nversion=1\ncluster.id=" + ClusterId + "\nunknown.key=kept out\n");

        Assert.Equal(new MetaProperties(1, null, 1, ClusterId, new Uuid(0, 1)), new MetaPropertiesFile(path).Read());
    }

    [Fact]
    public void Read_JavaSeparatorsAndComments_Parse()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        File.WriteAllText(path, "! a comment\r\n  version : 0\r\ncluster.id " + ClusterId + "\r\n\r\nbroker.id=12\r\n");

        Assert.Equal(new MetaProperties(0, 12, null, ClusterId, null), new MetaPropertiesFile(path).Read());
    }

    [Fact]
    public void Read_Version0WithoutBrokerIdOrVersion_IsAccepted_AsInKafka()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        File.WriteAllText(path, "cluster.id=" + ClusterId + "\n");

        Assert.Equal(new MetaProperties(0, null, null, ClusterId, null), new MetaPropertiesFile(path).Read());
    }

    [Theory]
    [InlineData("version=2\ncluster.id=c\nnode.id=1\n", "version")]
    [InlineData("version=x\ncluster.id=c\n", "version")]
    [InlineData("version=0\nbroker.id=1\n", "cluster.id")]
    [InlineData("version=1\ncluster.id=c\n", "node.id")]
    [InlineData("version=1\ncluster.id=c\nnode.id=one\n", "node.id")]
    [InlineData("version=0\ncluster.id=c\nbroker.id=\n", "broker.id")]
    [InlineData("version=1\ncluster.id=c\nnode.id=1\ndirectory.id=zzz\n", "directory.id")]
    [InlineData("version=0\ncluster.id=c\\\n", "line 2")]
    [InlineData("version=0\ncluster.id=c\\u12\n", "line 2")]
    public void Read_BadContents_ThrowsStorageException(string contents, string expected)
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        File.WriteAllText(path, contents);

        StorageException e = Assert.Throws<StorageException>(() => new MetaPropertiesFile(path).Read());

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, null, 1)]
    [InlineData(1, null, null)]
    [InlineData(1, 1, 1)]
    [InlineData(2, null, 1)]
    public void Write_PropertiesNotFittingTheirVersion_AreRejected(int version, int? brokerId, int? nodeId)
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);

        Assert.Throws<ArgumentException>(() => new MetaPropertiesFile(path).Write(new MetaProperties(version, brokerId, nodeId, ClusterId, null)));
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Read_AfterCrashedWrite_IgnoresTemporary()
    {
        using TempDirectory dir = new();
        string path = dir.Combine(MetaPropertiesFile.FileName);
        MetaPropertiesFile file = new(path, new ManualClock());
        file.Write(new MetaProperties(0, 1, null, ClusterId, null));
        File.WriteAllText(path + ".tmp", "#\nversion=0\nclus");

        Assert.Equal(new MetaProperties(0, 1, null, ClusterId, null), file.Read());
    }
}
