namespace Samsa.Coordination.Embedded;

/// <summary>A change that may fire watches, produced by <see cref="DataTree.Apply"/> in change order.</summary>
internal readonly record struct WatchTrigger(string Path, WatchEventType Type);
