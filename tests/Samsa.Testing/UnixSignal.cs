using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Samsa.Testing;

/// <summary>
/// Sends a POSIX signal to one process by id. .NET can only SIGKILL a child (Process.Kill); a clean
/// shutdown test needs SIGTERM, which the broker handles like Kafka's shutdown hook; the cluster
/// chaos loop pauses processes with SIGSTOP/SIGCONT (a long GC pause, a frozen host).
/// </summary>
public static partial class UnixSignal
{
    public const int SigTerm = 15;

    /// <summary>SIGSTOP: 19 on Linux, 17 on macOS.</summary>
    public static int SigStop => OperatingSystem.IsMacOS() ? 17 : 19;

    /// <summary>SIGCONT: 18 on Linux, 19 on macOS.</summary>
    public static int SigCont => OperatingSystem.IsMacOS() ? 19 : 18;

    public static void Send(int pid, int signal)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new PlatformNotSupportedException("Signals need a POSIX system.");
        }

        if (Kill(pid, signal) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            const int NoSuchProcess = 3; // ESRCH: it exited already, which is what the caller wants
            if (errno != NoSuchProcess)
            {
                throw new Win32Exception(errno, $"kill({pid}, {signal}) failed");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
