using System.Runtime.InteropServices;
using System.Text;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// fsync of a directory (the same as Samsa.Storage's: Coordination does not reference Storage), so that a create, rename or delete inside it survives a power loss.
/// .NET cannot do this itself: <see cref="File.OpenHandle"/> and <see cref="FileStream"/> refuse to
/// open a directory (UnauthorizedAccessException), so on Linux and macOS we call libc's
/// open(O_RDONLY)/fsync/close directly. On Windows there is nothing to do: NTFS journals the rename
/// as metadata and a directory cannot be flushed through a normal handle.
/// </summary>
internal static class DirectorySync
{
    private const int ORdOnly = 0;
    private const int OCloExecLinux = 0x80000;
    private const int OCloExecMacOS = 0x1000000;
    private const int EInterrupted = 4;
    private const int EInvalid = 22;

    public static void Flush(string directory)
    {
        bool linux = OperatingSystem.IsLinux();
        if (!linux && !OperatingSystem.IsMacOS())
        {
            return;
        }

        // O_CLOEXEC so a child process started concurrently does not inherit the descriptor.
        int flags = ORdOnly | (linux ? OCloExecLinux : OCloExecMacOS);
        byte[] nativePath = Encoding.UTF8.GetBytes(directory + "\0");
        int fd;
        do
        {
            fd = Open(nativePath, flags);
        }
        while (fd < 0 && Marshal.GetLastPInvokeError() == EInterrupted);

        if (fd < 0)
        {
            throw new IOException($"Cannot open directory {directory} to sync it (errno {Marshal.GetLastPInvokeError()})");
        }

        try
        {
            if (FSync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();

                // Some file systems (certain FUSE and network mounts) do not support fsync of a
                // directory and say EINVAL; there is nothing more we can do for them.
                if (errno != EInvalid)
                {
                    throw new IOException($"Cannot sync directory {directory} (errno {errno})");
                }
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the project does not allow unsafe code, which the
    // LibraryImport generator needs. Only blittable arguments are passed (the path as a
    // NUL-terminated UTF-8 byte array), so no marshalling stub is involved. "libc" resolves to the
    // C library on Linux (glibc and musl) and macOS.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open(byte[] path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static extern int FSync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
