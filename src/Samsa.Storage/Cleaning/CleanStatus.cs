namespace Samsa.Storage.Cleaning;

/// <summary>Outcome of one compaction pass over one log.</summary>
internal enum CleanStatus
{
    /// <summary>The log's cleanup.policy does not include compact, or the cleaner is disabled.</summary>
    NotCompacted = 0,

    /// <summary>Nothing cleanable yet (no sealed segment below the high watermark and the compaction lag), or too little dirt.</summary>
    NothingToClean,

    /// <summary>Segments were rewritten and swapped in.</summary>
    Cleaned,

    /// <summary>The log changed under the pass (truncation, retention, close); the next pass starts again.</summary>
    Aborted,

    /// <summary>The offset map cannot hold even one batch's keys; raise log.cleaner.dedupe.buffer.size.</summary>
    MapTooSmall,

    /// <summary>A segment could not be read (corrupt or I/O error); the log is skipped from now on.</summary>
    Uncleanable,
}
