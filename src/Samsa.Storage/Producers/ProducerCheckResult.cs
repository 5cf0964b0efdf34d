namespace Samsa.Storage.Producers;

/// <summary>The outcome of <see cref="ProducerStateTable.Check"/>; for a duplicate, the original batch's offsets and timestamp.</summary>
internal readonly record struct ProducerCheckResult(ProducerAppendCheck Outcome, long FirstOffset, long LastOffset, long Timestamp)
{
    public static ProducerCheckResult Append => new(ProducerAppendCheck.Append, -1, -1, -1);

    public static ProducerCheckResult OutOfOrder => new(ProducerAppendCheck.OutOfOrderSequence, -1, -1, -1);

    public static ProducerCheckResult StaleEpoch => new(ProducerAppendCheck.InvalidProducerEpoch, -1, -1, -1);
}
