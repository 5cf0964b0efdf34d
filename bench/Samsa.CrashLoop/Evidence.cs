using System.Globalization;

namespace Samsa.CrashLoop;

/// <summary>
/// What a failing run leaves for the post-mortem: the tail of each process's output in the
/// journal, and with an evidence directory, each process's whole output and a copy of its log dir
/// in a folder named after the run and round.
/// </summary>
internal static class Evidence
{
    /// <summary>One process's part: its name (also the files' prefix), its output, its log dir if it has one.</summary>
    public readonly record struct ProcessOutput(string Name, string Output, string? LogDir);

    public static void Keep(RunJournal journal, string? evidenceDirectory, string folder, IReadOnlyList<ProcessOutput> processes, int tailLines)
    {
        foreach (ProcessOutput process in processes)
        {
            journal.Info(string.Create(CultureInfo.InvariantCulture, $"{process.Name} output (last {tailLines} lines):\n{Tail(process.Output, tailLines)}"));
        }

        if (evidenceDirectory is null)
        {
            return;
        }

        string target = Path.Combine(evidenceDirectory, folder);
        Directory.CreateDirectory(target);
        foreach (ProcessOutput process in processes)
        {
            File.WriteAllText(Path.Combine(target, process.Name + "-output.txt"), process.Output);
            if (process.LogDir is not null)
            {
                CopyDirectory(process.LogDir, Path.Combine(target, process.Name + "-log-dir"));
            }
        }

        journal.Info($"evidence kept in {target}");
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.EnumerateFiles(source))
        {
            try
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
            catch (IOException)
            {
                // The running broker holds .lock exclusively; everything else is plain data.
            }
        }

        foreach (string dir in Directory.EnumerateDirectories(source))
        {
            CopyDirectory(dir, Path.Combine(target, Path.GetFileName(dir)));
        }
    }

    private static string Tail(string text, int lines)
    {
        int at = text.Length;
        for (int i = 0; i <= lines && at > 0; i++)
        {
            at = text.LastIndexOf('\n', at - 1);
            if (at < 0)
            {
                return text;
            }
        }

        return text[(at + 1)..];
    }
}
