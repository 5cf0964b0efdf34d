using System.Globalization;

namespace Samsa.Storage.Log;

/// <summary>
/// Names of a partition directory's segment files, as Kafka spells them: the 20-digit zero-padded
/// base offset plus a suffix, and the temporary suffixes left behind by interrupted operations.
/// </summary>
internal static class LogFileNames
{
    public const string LogSuffix = ".log";
    public const string IndexSuffix = ".index";
    public const string TimeIndexSuffix = ".timeindex";

    /// <summary>A segment removed from the log, waiting out file.delete.delay.ms for readers still on it.</summary>
    public const string DeletedSuffix = ".deleted";

    /// <summary>Half-written files (checkpoints, rebuilt indexes): always discarded on load.</summary>
    public const string TmpSuffix = ".tmp";

    /// <summary>Compaction output not yet swapped in: discarded on load.</summary>
    public const string CleanedSuffix = ".cleaned";

    /// <summary>Compaction output ready to replace the segments it covers: completed on load.</summary>
    public const string SwapSuffix = ".swap";

    private const int OffsetDigits = 20;

    public static string FileName(long baseOffset, string suffix) =>
        string.Concat(baseOffset.ToString("D20", CultureInfo.InvariantCulture), suffix);

    public static string LogPath(string dir, long baseOffset) => Path.Combine(dir, FileName(baseOffset, LogSuffix));

    public static string IndexPath(string dir, long baseOffset) => Path.Combine(dir, FileName(baseOffset, IndexSuffix));

    public static string TimeIndexPath(string dir, long baseOffset) => Path.Combine(dir, FileName(baseOffset, TimeIndexSuffix));

    /// <summary>Parses <c>00000000000000001234.log</c> (any suffix) into 1234; false for anything else.</summary>
    public static bool TryParseBaseOffset(string fileName, out long baseOffset)
    {
        baseOffset = 0;
        return fileName.Length > OffsetDigits
            && fileName[OffsetDigits] == '.'
            && long.TryParse(fileName.AsSpan(0, OffsetDigits), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset);
    }
}
