using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Samsa.Storage.Log;

/// <summary>
/// Reserves disk blocks ahead of a segment's write position: Linux <c>fallocate</c> with
/// <c>FALLOC_FL_KEEP_SIZE</c>, so the file's length does not change and readers, recovery and
/// replication still see only what was written. Writing into reserved blocks skips ext4's
/// per-block delayed-allocation work (space reservation, extent-status inserts, quota) on the
/// appending thread: 64 MiB written as 1 MiB pwrites into the page cache took 20.5 → 15.0 ms
/// (median of 30 alternating rounds on this machine's ext4). Redpanda reserves segment space
/// the same way (its <c>segment_fallocation_step</c>). Best effort: a file system without
/// support, or one without the space, only means the write allocates as it always would; a
/// full disk is still reported by the write itself.
/// </summary>
internal static class FileSpaceReservation
{
    // FALLOC_FL_KEEP_SIZE (linux/falloc.h): allocate without moving the end of file.
    private const int KeepSize = 1;

    /// <summary>
    /// Linux only (macOS and Windows have other calls, not wired up: there the write allocates as
    /// usual), and 64-bit only, where libc's <c>fallocate</c> takes 64-bit offsets.
    /// </summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    /// <summary>Reserves [<paramref name="offset"/>, +<paramref name="length"/>); false when it could not. The caller holds a lease on <paramref name="file"/>.</summary>
    public static bool TryReserve(SafeFileHandle file, long offset, long length) =>
        IsSupported && Fallocate((int)file.DangerousGetHandle(), KeepSize, offset, length) == 0;

    // DllImport rather than LibraryImport: the project does not allow unsafe code (see
    // Checkpoints/DirectorySync.cs); only blittable arguments, so no marshalling stub.
    [DllImport("libc", EntryPoint = "fallocate", SetLastError = true)]
    private static extern int Fallocate(int fd, int mode, long offset, long length);
}
