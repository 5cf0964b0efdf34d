using Samsa.Storage.Producers;

namespace Samsa.Storage.Tests.Producers;

public sealed class ProducerStateTableTests
{
    private const long Pid = 1000;

    private static ProducerStateTable WithBatches(short epoch, params (int First, int Last)[] batches)
    {
        var table = new ProducerStateTable();
        long offset = 0;
        foreach ((int first, int last) in batches)
        {
            int count = last >= first ? last - first + 1 : (int)((long)int.MaxValue - first + 1 + last + 1);
            table.Update(Pid, epoch, first, last, offset, offset + count - 1, 100 + offset);
            offset += count;
        }

        return table;
    }

    [Fact]
    public void A_producer_without_state_may_start_at_any_sequence()
    {
        var table = new ProducerStateTable();
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 0, 0, 4).Outcome);
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 3, 1234, 1240).Outcome);
    }

    [Fact]
    public void The_next_batch_must_follow_the_last_sequence()
    {
        ProducerStateTable table = WithBatches(0, (0, 4));
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 0, 5, 9).Outcome);
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 6, 9).Outcome);
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 3, 7).Outcome);
    }

    [Fact]
    public void A_retry_of_any_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets()
    {
        ProducerStateTable table = WithBatches(0, (0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11));

        // (0, 1) was pushed out by the sixth batch: it is now just out of order.
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 0, 1).Outcome);
        for (int first = 2; first <= 10; first += 2)
        {
            ProducerCheckResult result = table.Check(Pid, 0, first, first + 1);
            Assert.Equal(ProducerAppendCheck.Duplicate, result.Outcome);
            Assert.Equal(first, result.FirstOffset);
            Assert.Equal(first + 1, result.LastOffset);
        }

        // Same first sequence but a different range is not the same batch.
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 10, 12).Outcome);
    }

    [Fact]
    public void An_older_epoch_is_refused_and_a_newer_one_must_start_at_zero()
    {
        ProducerStateTable table = WithBatches(5, (0, 4));
        Assert.Equal(ProducerAppendCheck.InvalidProducerEpoch, table.Check(Pid, 4, 5, 9).Outcome);
        Assert.Equal(ProducerAppendCheck.InvalidProducerEpoch, table.Check(Pid, 4, 0, 4).Outcome);
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 6, 5, 9).Outcome);
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 6, 0, 3).Outcome);

        // Once the new epoch is written, the old epoch's batches are no longer duplicates.
        table.Update(Pid, 6, 0, 3, 5, 8, 200);
        Assert.Equal(ProducerAppendCheck.InvalidProducerEpoch, table.Check(Pid, 5, 0, 4).Outcome);
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 6, 4, 4).Outcome);
    }

    [Fact]
    public void Sequences_wrap_from_int_max_to_zero()
    {
        Assert.Equal(2, ProducerSequence.Increment(int.MaxValue - 1, 4));
        Assert.Equal(int.MaxValue - 1, ProducerSequence.Decrement(2, 4));
        ProducerStateTable table = WithBatches(0, (int.MaxValue - 4, int.MaxValue));
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid, 0, 0, 9).Outcome);
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 1, 9).Outcome);

        ProducerStateTable straddling = WithBatches(0, (int.MaxValue - 1, 2));
        Assert.Equal(ProducerAppendCheck.Duplicate, straddling.Check(Pid, 0, int.MaxValue - 1, 2).Outcome);
        Assert.Equal(ProducerAppendCheck.Append, straddling.Check(Pid, 0, 3, 3).Outcome);
    }

    [Fact]
    public void Producers_are_independent()
    {
        ProducerStateTable table = WithBatches(0, (0, 4));
        Assert.Equal(ProducerAppendCheck.Append, table.Check(Pid + 1, 0, 77, 80).Outcome);
        Assert.Equal(ProducerAppendCheck.OutOfOrderSequence, table.Check(Pid, 0, 77, 80).Outcome);
    }
}
