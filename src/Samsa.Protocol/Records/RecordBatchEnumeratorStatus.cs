namespace Samsa.Protocol.Records;

/// <summary>Where a <see cref="RecordBatchEnumerator"/> stands.</summary>
public enum RecordBatchEnumeratorStatus
{
    /// <summary>Still yielding batches.</summary>
    InProgress = 0,

    /// <summary>Every byte belonged to a complete batch.</summary>
    Complete,

    /// <summary>
    /// The data ended inside a batch. Normal at the end of a Fetch response (the broker cuts at the
    /// byte limit); in a Produce request it means a corrupt request.
    /// </summary>
    TruncatedTail,

    /// <summary>A batch length below the v2 minimum: the rest cannot be split into batches.</summary>
    InvalidLength,
}
