using System.Diagnostics;
using System.Globalization;

namespace Samsa.Testing;

/// <summary>
/// A tmpfs of a fixed size mounted on a fresh directory, for full-disk tests: writes past its size
/// fail with ENOSPC as on a real full disk. Needs root (mount); <see cref="TryMount"/> says why when
/// it cannot, so the test can report itself skipped rather than pass. <see cref="Fill"/> takes the
/// free space with a filler file and <see cref="FreeFiller"/> gives it back.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private readonly TempDirectory _dir;
    private bool _mounted;

    private TmpfsMount(TempDirectory dir)
    {
        _dir = dir;
    }

    public string Path => _dir.Path;

    private string FillerPath => System.IO.Path.Combine(_dir.Path, "filler");

    /// <summary>Mounts a tmpfs of <paramref name="sizeBytes"/>; null with the reason when the system refuses (not root, no mount).</summary>
    public static TmpfsMount? TryMount(long sizeBytes, out string? refusal)
    {
        var dir = new TempDirectory("tmpfs");
        (int exit, string output) = Run("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes.ToString(CultureInfo.InvariantCulture), "tmpfs", dir.Path);
        if (exit != 0)
        {
            dir.Dispose();
            refusal = $"mount -t tmpfs failed (exit {exit}): {output.Trim()}";
            return null;
        }

        refusal = null;
        return new TmpfsMount(dir) { _mounted = true };
    }

    /// <summary>
    /// Fills the file system with a filler file until at most <paramref name="leaveBytes"/> are free
    /// (tmpfs counts whole pages). Returns the bytes written.
    /// </summary>
    public long Fill(long leaveBytes = 0)
    {
        long written = 0;
        byte[] chunk = new byte[64 * 1024];
        using var filler = new FileStream(FillerPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        while (true)
        {
            long free = new DriveInfo(_dir.Path).AvailableFreeSpace;
            if (free <= leaveBytes)
            {
                return written;
            }

            int size = (int)Math.Min(chunk.Length, Math.Max(4096, free - leaveBytes));
            try
            {
                filler.Write(chunk, 0, size);
                written += size;
            }
            catch (IOException)
            {
                return written; // full
            }
        }
    }

    /// <summary>Deletes the filler file: the space is free again.</summary>
    public void FreeFiller() => File.Delete(FillerPath);

    public long FreeBytes => new DriveInfo(_dir.Path).AvailableFreeSpace;

    public void Dispose()
    {
        if (_mounted)
        {
            // Lazy unmount: a broker process that has just exited may still hold a file a moment.
            Run("umount", "-l", _dir.Path);
            _mounted = false;
        }

        _dir.Dispose();
    }

    private static (int Exit, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            if (!process.WaitForExit(30_000))
            {
                process.Kill();
                return (-1, file + " timed out");
            }

            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, e.Message);
        }
    }
}
