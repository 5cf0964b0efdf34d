namespace Samsa.CrashLoop;

/// <summary>
/// Every producer instance's ledger in the run, including those of producers already replaced:
/// their acknowledged messages must stay in the log too. Writers add; the auditor reads.
/// </summary>
internal sealed class LedgerBook(int partitions)
{
    private readonly Lock _lock = new();
    private readonly List<DeliveryLedger> _ledgers = [];

    /// <summary>A ledger for a new producer instance, numbered in creation order.</summary>
    public DeliveryLedger Open()
    {
        lock (_lock)
        {
            var ledger = new DeliveryLedger(_ledgers.Count, partitions);
            _ledgers.Add(ledger);
            return ledger;
        }
    }

    /// <summary>The ledgers, indexed by producer number.</summary>
    public IReadOnlyList<DeliveryLedger> All()
    {
        lock (_lock)
        {
            return [.. _ledgers];
        }
    }

    public long Acknowledged() => Sum(ledger => ledger.Acknowledged);

    public long Failed() => Sum(ledger => ledger.FailedCount);

    public long PersistedWithoutOffset() => Sum(ledger => ledger.PersistedWithoutOffsetCount);

    public long Pending() => Sum(ledger => ledger.CountPending());

    private long Sum(Func<DeliveryLedger, long> count)
    {
        long total = 0;
        foreach (DeliveryLedger ledger in All())
        {
            total += count(ledger);
        }

        return total;
    }
}
