namespace Samsa.Storage.Log;

/// <summary>Why a <see cref="BatchHeaderScanner"/> stopped.</summary>
internal enum BatchScanStatus
{
    /// <summary>Still yielding batches.</summary>
    InProgress = 0,

    /// <summary>Reached the end bound exactly at a batch boundary.</summary>
    Complete,

    /// <summary>A header or body crosses the end bound: a torn tail (or a bound that is not a boundary).</summary>
    Truncated,

    /// <summary>A header that cannot be a magic-2 batch (length below 49, other magic).</summary>
    Invalid,
}
