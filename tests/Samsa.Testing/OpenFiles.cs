using System.Globalization;

namespace Samsa.Testing;

/// <summary>
/// What a process's file descriptors point at, as Linux shows it in /proc/&lt;pid&gt;/fd: tests
/// that check a handle was closed (a deleted segment no longer held, an idle log's files
/// released) read it here.
/// </summary>
public static class OpenFiles
{
    /// <summary>
    /// The paths the open descriptors of this process, or of <paramref name="processId"/>, point at
    /// (a deleted file's ends in " (deleted)"); null where /proc does not show them (not Linux).
    /// </summary>
    public static List<string>? Of(int? processId = null)
    {
        string fdDir = processId is int pid ? $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd" : "/proc/self/fd";
        if (!Directory.Exists(fdDir))
        {
            return null;
        }

        var targets = new List<string>();
        foreach (string fd in Directory.GetFiles(fdDir))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is string target)
                {
                    targets.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed while we listed.
            }
        }

        return targets;
    }
}
