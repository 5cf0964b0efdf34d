namespace Samsa.Storage;

/// <summary>What one <see cref="LogDirectory.RunMaintenance"/> pass did, for the broker's log.</summary>
/// <param name="SegmentsDeleted">Segments removed by retention (time, size, below the log start).</param>
/// <param name="LogsCompacted">Logs the cleaner rewrote.</param>
/// <param name="LogsFlushed">Logs fsynced because flush.ms passed since their last flush.</param>
/// <param name="LogsReleased">Idle logs whose file handles and indexes were released.</param>
/// <param name="LogsUncleanable">Logs the cleaner gave up on this pass (corrupt or unreadable segments).</param>
public readonly record struct MaintenanceResult(
    int SegmentsDeleted,
    int LogsCompacted,
    int LogsFlushed,
    int LogsReleased,
    int LogsUncleanable);
