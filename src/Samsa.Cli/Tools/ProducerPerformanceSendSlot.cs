using Confluent.Kafka;

namespace Samsa.Cli.Tools;

/// <summary>
/// One record in flight: when it was sent and its size, with a delivery delegate bound to this
/// slot. The perf test keeps a ring of slots as large as the client's queue and reuses each once
/// its report came back, so the send time travels to the report without a closure per record.
/// (The report's own timestamp cannot carry it: a broker, and librdkafka's mock cluster, may
/// answer with a LogAppendTime that replaces it.)
/// </summary>
internal sealed class ProducerPerformanceSendSlot
{
    private readonly Action<ProducerPerformanceSendSlot, DeliveryReport<Null, byte[]>> _onDelivery;
    private int _busy;

    public ProducerPerformanceSendSlot(Action<ProducerPerformanceSendSlot, DeliveryReport<Null, byte[]>> onDelivery)
    {
        _onDelivery = onDelivery;
        Handler = report => _onDelivery(this, report);
    }

    /// <summary>The delivery handler for the record in this slot; one instance for the slot's lifetime.</summary>
    public Action<DeliveryReport<Null, byte[]>> Handler { get; }

    public long SendStartMs { get; private set; }

    public int Bytes { get; private set; }

    /// <summary>Whether the record was sent after --warmup-records (it counts in the steady state too).</summary>
    public bool SteadyState { get; private set; }

    /// <summary>Whether a record sent from this slot still waits for its report.</summary>
    public bool Busy => Volatile.Read(ref _busy) != 0;

    /// <summary>Called by the sending thread before the record is handed to the client.</summary>
    public void Take(long sendStartMs, int bytes, bool steadyState)
    {
        SendStartMs = sendStartMs;
        Bytes = bytes;
        SteadyState = steadyState;
        Volatile.Write(ref _busy, 1);
    }

    /// <summary>Called once the record's report was handled (or the client refused the record).</summary>
    public void Release() => Volatile.Write(ref _busy, 0);
}
