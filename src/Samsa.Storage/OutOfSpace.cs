namespace Samsa.Storage;

/// <summary>
/// Tells a full file system from other I/O failures. A full disk (ENOSPC, or EDQUOT for a quota)
/// is a condition that ends when space comes back, so the log stays online and refuses only the
/// appends that hit it; any other I/O error takes the partition offline (docs/reliability.md,
/// "Disk faults").
/// </summary>
public static class OutOfSpace
{
    // .NET on Unix puts the raw errno in IOException.HResult (checked on Linux: 28 for a full tmpfs).
    private const int LinuxNoSpace = 28;
    private const int LinuxQuotaExceeded = 122;
    private const int MacQuotaExceeded = 69;

    // Windows: ERROR_HANDLE_DISK_FULL and ERROR_DISK_FULL as HRESULTs.
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);
    private const int WindowsDiskFull = unchecked((int)0x80070070);

    /// <summary>Whether <paramref name="exception"/> or one of its inner exceptions is a full disk.</summary>
    public static bool IsCause(Exception? exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is IOException io && IsNoSpaceCode(io.HResult))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsNoSpaceCode(int code) =>
        OperatingSystem.IsWindows()
            ? code is WindowsHandleDiskFull or WindowsDiskFull
            : code == LinuxNoSpace || (OperatingSystem.IsLinux() ? code == LinuxQuotaExceeded : code == MacQuotaExceeded);
}
