namespace Samsa.CrashLoop;

/// <summary>The counts of one <see cref="LogAudit"/>: what it read and what was wrong with it.</summary>
internal sealed class AuditFigures
{
    public long MessagesRead { get; set; }

    public long AcknowledgedChecked { get; set; }

    public long Lost { get; set; }

    public long Duplicated { get; set; }

    public long OutOfOrder { get; set; }

    /// <summary>Stored at another offset than acknowledged, or in another partition than sent to.</summary>
    public long Misplaced { get; set; }

    public long Corrupt { get; set; }

    public long ConsumeErrors { get; set; }
}
