namespace Samsa.Storage;

/// <summary>
/// Topic <c>cleanup.policy</c>: <c>delete</c> (retention by time and size), <c>compact</c> (keep the
/// newest record per key) or both (<c>compact,delete</c>).
/// </summary>
[Flags]
public enum CleanupPolicy
{
    None = 0,
    Delete = 1,
    Compact = 2,
}
