using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Protocol.Tests.Primitives;

/// <summary>
/// Fetched records given as a range of a file (sent with sendfile by the broker) must frame exactly
/// as the same bytes in memory, be read from the file by anything that needs the bytes, and keep
/// the file open until the response is done with it.
/// </summary>
public sealed class FileRegionTests : IDisposable
{
    private readonly TempDirectory _dir = new("file-region");
    private readonly string _path;
    private readonly byte[] _file;

    public FileRegionTests()
    {
        _path = _dir.Combine("00000000000000000000.log");
        _file = new byte[3 * PooledBufferWriter.MinReferencedLength];
        new Random(7).NextBytes(_file);
        File.WriteAllBytes(_path, _file);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_region_is_referenced_whatever_its_length_and_frames_as_its_bytes_would()
    {
        const int position = 1000;
        const int length = 100; // below the length other fields need to be referenced
        using SafeFileHandle file = File.OpenHandle(_path);
        using FileRegion region = Lease(file, position, length);

        using var referencing = new PooledBufferWriter { ReferencesLargeFields = true };
        Frame.WriteResponse(referencing, 5, Response(region.Memory), 12);
        using var copied = new PooledBufferWriter();
        Frame.WriteResponse(copied, 5, Response(_file.AsMemory(position, length)), 12);

        Assert.True(referencing.HasReferences);
        Assert.Equal(length, referencing.ReferencedCount);
        var parts = new List<ReadOnlyMemory<byte>>();
        referencing.GetParts(parts);
        Assert.Equal(3, parts.Count);
        Assert.True(MemoryMarshal.TryGetMemoryManager(parts[1], out FileRegion? found, out int start, out int partLength));
        Assert.Same(region, found);
        Assert.Equal((0, length), (start, partLength));

        // Without sendfile the same output goes out as memory: the region reads its bytes.
        Assert.Equal(copied.WrittenSpan.ToArray(), ReferencedFieldTests.Gather(referencing));
    }

    [Fact]
    public void A_writer_that_copies_reads_the_bytes_from_the_file()
    {
        using SafeFileHandle file = File.OpenHandle(_path);
        using FileRegion region = Lease(file, PooledBufferWriter.MinReferencedLength, PooledBufferWriter.MinReferencedLength);

        using var plain = new PooledBufferWriter();
        Frame.WriteResponse(plain, 5, Response(region.Memory), 16);
        using var copied = new PooledBufferWriter();
        Frame.WriteResponse(copied, 5, Response(_file.AsMemory(PooledBufferWriter.MinReferencedLength, PooledBufferWriter.MinReferencedLength)), 16);

        Assert.False(plain.HasReferences);
        Assert.Equal(copied.WrittenSpan.ToArray(), plain.WrittenSpan.ToArray());
    }

    [Fact]
    public void The_file_stays_open_after_its_owner_closes_it_until_the_region_is_disposed()
    {
        SafeFileHandle file = File.OpenHandle(_path);
        FileRegion region = Lease(file, 10, 20);

        file.Dispose(); // the log closes the segment (idle release, deletion) while the send is pending
        Assert.False(file.IsClosed);
        Assert.Equal(_file.AsSpan(10, 20).ToArray(), region.GetSpan().ToArray());

        ((IDisposable)region).Dispose();
        Assert.True(file.IsClosed);
    }

    [Fact]
    public void A_file_truncated_under_the_region_is_an_IOException_not_short_data()
    {
        using SafeFileHandle file = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite);
        using FileRegion region = Lease(file, 0, _file.Length);
        RandomAccess.SetLength(file, _file.Length - 1);

        Assert.Throws<IOException>(() => region.GetSpan());
    }

    private static FileRegion Lease(SafeFileHandle file, long position, int length)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        return new FileRegion(file, position, length);
    }

    private static FetchResponseData Response(ReadOnlyMemory<byte> records)
    {
        var topic = new FetchResponseData.FetchableTopicResponse { Topic = "t", TopicId = Uuid.Zero };
        topic.Partitions.Add(new FetchResponseData.PartitionData { PartitionIndex = 0, HighWatermark = 42, Records = records });
        var response = new FetchResponseData();
        response.Responses.Add(topic);
        return response;
    }
}
