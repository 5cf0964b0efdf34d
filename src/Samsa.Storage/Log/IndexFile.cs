using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage.Log;

/// <summary>Reading whole index files for <see cref="OffsetIndex"/> and <see cref="TimeIndex"/>.</summary>
internal static class IndexFile
{
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
