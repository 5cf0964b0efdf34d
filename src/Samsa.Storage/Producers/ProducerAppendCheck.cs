namespace Samsa.Storage.Producers;

/// <summary>What the producer state says about an incoming idempotent batch.</summary>
public enum ProducerAppendCheck
{
    /// <summary>In sequence (or from a producer with no recorded state): append it.</summary>
    Append = 0,

    /// <summary>A retry of one of the producer's last five batches: answer with its original offsets, append nothing.</summary>
    Duplicate,

    /// <summary>A gap or a repeat that is not one of the retained batches: OUT_OF_ORDER_SEQUENCE_NUMBER.</summary>
    OutOfOrderSequence,

    /// <summary>An epoch older than the producer's current one (a zombie): INVALID_PRODUCER_EPOCH.</summary>
    InvalidProducerEpoch,
}
