using Samsa.Storage.Checkpoints;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Checkpoints;

public class CleanShutdownFileTests
{
    [Fact]
    public void Lifecycle_WriteExistsDelete()
    {
        using TempDirectory dir = new();
        Assert.False(CleanShutdownFile.Exists(dir.Path));

        CleanShutdownFile.Write(dir.Path);
        Assert.True(CleanShutdownFile.Exists(dir.Path));
        Assert.Equal("{\"version\":0,\"brokerEpoch\":-1}", File.ReadAllText(dir.Combine(".kafka_cleanshutdown")));

        CleanShutdownFile.Delete(dir.Path);
        Assert.False(CleanShutdownFile.Exists(dir.Path));
    }

    [Fact]
    public void Delete_WhenAbsent_IsFine()
    {
        using TempDirectory dir = new();

        CleanShutdownFile.Delete(dir.Path);

        Assert.False(CleanShutdownFile.Exists(dir.Path));
    }

    [Fact]
    public void Write_Twice_KeepsOneMarker()
    {
        using TempDirectory dir = new();

        CleanShutdownFile.Write(dir.Path);
        CleanShutdownFile.Write(dir.Path);

        Assert.True(CleanShutdownFile.Exists(dir.Path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Write_IntoMissingLogDir_ThrowsStorageException()
    {
        using TempDirectory dir = new();

        Assert.Throws<StorageException>(() => CleanShutdownFile.Write(dir.Combine("missing")));
    }
}
