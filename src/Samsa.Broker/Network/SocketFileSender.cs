using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Network;

/// <summary>
/// Sends a <see cref="FileRegion"/> to a socket with Linux's <c>sendfile(2)</c>: the kernel moves
/// the bytes from the page cache to the socket, with no copy into or out of user space (Kafka's
/// fetch path does the same through <c>FileChannel.transferTo</c>).
/// </summary>
/// <remarks>
/// .NET sockets are non-blocking underneath, so <c>sendfile</c> answers EAGAIN when the socket's
/// send buffer is full. The socket engine's own wait for room is reachable only through its send
/// calls, so then one piece of the range (<see cref="CopiedPieceBytes"/>) is read and sent the
/// ordinary way, which waits, and <c>sendfile</c> goes on from there. The socket must already be
/// non-blocking underneath: .NET makes it so at its first asynchronous operation, and a broker's
/// connection has received a request (asynchronously) before it sends any response. Linux only
/// (see <see cref="IsSupported"/>); elsewhere the caller sends the region's bytes.
/// </remarks>
internal static class SocketFileSender
{
    /// <summary>
    /// What is copied through user space when the socket is full, to wait for room: one page. The
    /// socket engine's send of it completes once the kernel reports the socket writable (about half
    /// its send buffer free), and sendfile fills the rest, so on a large buffer little is copied.
    /// </summary>
    internal const int CopiedPieceBytes = 4 * 1024;

    private const int Eintr = 4;
    private const int Eio = 5;
    private const int Eagain = 11;

    private const int Einval = 22;
    private const int Enosys = 38;
    private const int Eopnotsupp = 95;

    // Off for the rest of the process once a file system refuses sendfile (see SendAsync).
    private static volatile bool _enabled =
        OperatingSystem.IsLinux() && Environment.Is64BitProcess && Environment.GetEnvironmentVariable("SAMSA_FETCH_SENDFILE") != "0";

    /// <summary>
    /// Whether fetches go out with sendfile: on 64-bit Linux (where <c>off_t</c> is 64 bits), unless
    /// <c>SAMSA_FETCH_SENDFILE=0</c> (kept for A/B measurements, docs/benchmarks.md) or a file
    /// system refused it.
    /// </summary>
    public static bool IsSupported => _enabled;

    /// <summary>
    /// Sends bytes [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>)
    /// of <paramref name="region"/>. A file that turns out shorter than the region (truncated since
    /// the fetch read it) is an <see cref="IOException"/>: the frame's length prefix is already out,
    /// so the connection must close. An I/O error of the file is also reported to the region's owner.
    /// Returns the bytes that went the ordinary way (copied) because the socket was full.
    /// </summary>
    public static async ValueTask<long> SendAsync(Socket socket, FileRegion region, int start, int length)
    {
        long copied = 0;
        long offset = region.Position + start;
        long end = offset + length;
        while (offset < end)
        {
            long sent = TrySendFile(socket, region.File, ref offset, end - offset, out int errno);
            if (sent > 0)
            {
                continue; // sendfile moved offset on
            }

            if (sent == 0)
            {
                throw new IOException($"The file ended {end - offset} bytes before the end of the fetched range (truncated while being sent).");
            }

            if (errno == Eintr)
            {
                continue;
            }

            if (errno is Einval or Enosys or Eopnotsupp)
            {
                // The log dir's file system cannot splice to a socket: this range and every later
                // one go the ordinary way (reading is still fine, so the log stays online).
                _enabled = false;
                copied += await CopyAsync(socket, region, offset, end).ConfigureAwait(false);
                break;
            }

            if (errno != Eagain)
            {
                var error = new IOException($"sendfile failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
                if (errno == Eio)
                {
                    region.ReportReadFailure(error);
                }

                throw error;
            }

            // The socket is full: one piece the ordinary way, whose send waits for room.
            long piece = Math.Min(end - offset, CopiedPieceBytes);
            copied += await CopyAsync(socket, region, offset, offset + piece).ConfigureAwait(false);
            offset += piece;
        }

        return copied;
    }

    /// <summary>Sends file bytes [<paramref name="from"/>, <paramref name="to"/>) through a user-space buffer; returns how many.</summary>
    private static async ValueTask<long> CopyAsync(Socket socket, FileRegion region, long from, long to)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(to - from, 64 * 1024));
        try
        {
            for (long at = from; at < to;)
            {
                int piece = (int)Math.Min(to - at, buffer.Length);
                region.ReadExactly((int)(at - region.Position), buffer.AsSpan(0, piece));
                int done = 0;
                while (done < piece)
                {
                    int n = await socket.SendAsync(buffer.AsMemory(done, piece - done), SocketFlags.None).ConfigureAwait(false);
                    if (n <= 0)
                    {
                        throw new IOException("The socket accepted no bytes.");
                    }

                    done += n;
                }

                at += piece;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return to - from;
    }

    /// <summary>One sendfile call; -1 with <paramref name="errno"/> set on failure. Both handles are leased for the call.</summary>
    private static long TrySendFile(Socket socket, SafeFileHandle file, ref long offset, long count, out int errno)
    {
        SafeSocketHandle target = socket.SafeHandle;
        bool targetAdded = false;
        bool fileAdded = false;
        try
        {
            target.DangerousAddRef(ref targetAdded);
            file.DangerousAddRef(ref fileAdded);
            nint sent = SendFile((int)target.DangerousGetHandle(), (int)file.DangerousGetHandle(), ref offset, (nuint)count);
            errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
            return sent;
        }
        finally
        {
            if (fileAdded)
            {
                file.DangerousRelease();
            }

            if (targetAdded)
            {
                target.DangerousRelease();
            }
        }
    }

    // DllImport rather than LibraryImport: the project does not allow unsafe code, which the
    // LibraryImport generator needs; the arguments are blittable. Used only in 64-bit processes,
    // where off_t is 64 bits (glibc and musl alike; musl has no sendfile64).
    [DllImport("libc", EntryPoint = "sendfile", SetLastError = true)]
    private static extern nint SendFile(int outFd, int inFd, ref long offset, nuint count);
}
