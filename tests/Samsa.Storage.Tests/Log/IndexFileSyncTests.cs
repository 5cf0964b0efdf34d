using Samsa.Storage.Log;
using Samsa.Testing;

namespace Samsa.Storage.Tests.Log;

/// <summary>
/// An index file that never held an entry is not fsynced (lost in a crash, it is rebuilt from the
/// log like any missing index; a broker with thousands of new, empty partitions closed with two
/// fsyncs each for nothing). One that held entries is synced even once emptied, so a crash cannot
/// bring stale entries back.
/// </summary>
public sealed class IndexFileSyncTests
{
    [Fact]
    public void A_new_offset_index_is_synced_only_once_it_held_an_entry()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("00000000000000000000.index");
        var index = new OffsetIndex(0, 100, fileIsNew: true);

        Assert.False(index.Save(path, fsync: true));
        Assert.Equal(0, new FileInfo(path).Length);

        index.Append(5, 4096);
        Assert.True(index.Save(path, fsync: true));

        // Truncated to nothing, the file must reach the disk empty.
        index.TruncateToPosition(0);
        Assert.True(index.Save(path, fsync: true));
        Assert.Equal(0, new FileInfo(path).Length);
        Assert.False(index.Save(path, fsync: false));
    }

    [Fact]
    public void A_new_time_index_is_synced_only_once_it_held_an_entry()
    {
        using var dir = new TempDirectory();
        string path = dir.Combine("00000000000000000000.timeindex");
        var index = new TimeIndex(0, 100, fileIsNew: true);

        Assert.False(index.Save(path, fsync: true));
        Assert.Equal(0, new FileInfo(path).Length);

        index.MaybeAppend(1_700_000_000_000, 5, force: true);
        Assert.True(index.Save(path, fsync: true));

        index.TruncateToOffset(0);
        Assert.True(index.Save(path, fsync: true));
        Assert.Equal(0, new FileInfo(path).Length);
    }

    [Fact]
    public void An_index_whose_file_may_have_held_entries_is_always_synced()
    {
        using var dir = new TempDirectory();
        string offsets = dir.Combine("00000000000000000000.index");
        string times = dir.Combine("00000000000000000000.timeindex");

        // Not known to be new (a rebuild, a leftover file): synced even when empty.
        Assert.True(new OffsetIndex(0, 100).Save(offsets, fsync: true));
        Assert.True(new TimeIndex(0, 100).Save(times, fsync: true));

        // Loaded from a file: whatever it held before may still be on the disk.
        Assert.True(OffsetIndex.Load(offsets, 0, 100, logSize: 0)!.Save(offsets, fsync: true));
        Assert.True(TimeIndex.Load(times, 0, 100)!.Save(times, fsync: true));
    }
}
