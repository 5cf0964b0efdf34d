namespace Samsa.Storage.Checkpoints;

/// <summary>
/// The first offset written under a leader epoch: the epoch covers offsets from
/// <see cref="StartOffset"/> up to the next entry's start offset (or the log end for the latest).
/// </summary>
public readonly record struct EpochEntry(int Epoch, long StartOffset);
