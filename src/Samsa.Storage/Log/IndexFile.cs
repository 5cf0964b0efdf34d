using System.Buffers;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage.Log;

/// <summary>An index whose entries <see cref="IndexFile.Save"/> writes: entry <c>index</c> into a slot of the entry size.</summary>
internal interface IIndexEntries
{
    void WriteEntry(int index, Span<byte> slot);
}

/// <summary>Reading and writing whole index files for <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>.</summary>
internal static class IndexFile
{
    /// <summary>
    /// Brings the file at <paramref name="path"/> up to the first <paramref name="count"/> entries:
    /// writes those from <paramref name="persistedCount"/> on (all of them if the file is shorter
    /// than that, as after a crash or an outside cut) and cuts the file when truncation left it
    /// longer. <paramref name="fileMayHoldEntries"/> is false only while the file is known to have
    /// never held an entry; such a file is not synced. Returns whether the file was fsynced.
    /// </summary>
    public static bool Save<TEntries>(string path, bool fsync, int entrySize, int count, ref int persistedCount, ref bool fileMayHoldEntries, TEntries entries)
        where TEntries : IIndexEntries
    {
        using SafeFileHandle file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        long expectedLength = (long)count * entrySize;
        long length = RandomAccess.GetLength(file);
        int from = length < (long)persistedCount * entrySize ? 0 : persistedCount;
        if (length != expectedLength)
        {
            RandomAccess.SetLength(file, expectedLength);
        }

        if (count > 0)
        {
            fileMayHoldEntries = true;
        }

        if (count > from)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent((count - from) * entrySize);
            try
            {
                Span<byte> span = buffer.AsSpan(0, (count - from) * entrySize);
                for (int i = from; i < count; i++)
                {
                    entries.WriteEntry(i, span.Slice((i - from) * entrySize, entrySize));
                }

                RandomAccess.Write(file, span, (long)from * entrySize);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        // An empty file that never held an entry has nothing to make durable: lost in a crash, it
        // is rebuilt from the log at load like any missing index. One that did hold entries is
        // synced even when empty, or a crash could bring stale entries back. (6,000 new, empty
        // partitions: 12,000 fsyncs at their first close.)
        bool sync = fsync && fileMayHoldEntries;
        if (sync)
        {
            RandomAccess.FlushToDisk(file);
        }

        persistedCount = count;
        return sync;
    }

    /// <summary>The file's bytes, or null when it is missing, unreadable or not a whole number of entries.</summary>
    public static byte[]? TryReadAll(string path, int entrySize)
    {
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            if (length % entrySize != 0 || length > int.MaxValue)
            {
                return null;
            }

            byte[] bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int n = RandomAccess.Read(file, bytes.AsSpan(read), read);
                if (n == 0)
                {
                    return null;
                }

                read += n;
            }

            return bytes;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }
}
