using Samsa.Broker.Partitions;
using Samsa.Broker.Replication;
using Samsa.Protocol;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Replication;

/// <summary>
/// One partition replica on a real log in a temp dir, with a manual clock and a submitter that
/// keeps the ISR proposals instead of sending them, so a test plays the followers and the controller.
/// </summary>
internal sealed class PartitionTestBed : IDisposable
{
    public const long LagMs = 30_000;

    private readonly TempDirectory _dir = new("replication");
    private readonly LogDirectory _logs;

    public PartitionTestBed(int localBrokerId = 1)
    {
        _logs = LogDirectory.Open(_dir.Path, Clock, _ => LogConfig.Default);
        var id = new TopicPartition("t", 0);
        Partition = new Partition(id, Uuid.NewRandom(), _logs.GetOrCreateLog(id, Uuid.NewRandom(), LogConfig.Default), localBrokerId, new ReplicationContext(Clock, LagMs, Proposals));
    }

    public ManualClock Clock { get; } = new();

    public RecordingSubmitter Proposals { get; } = new();

    public Partition Partition { get; }

    /// <summary>Appends one batch of <paramref name="records"/> records as leader with acks=all; returns the log end after it.</summary>
    public long Append(int records = 1, int minInsyncReplicas = 1)
    {
        (ErrorCode error, _) = Partition.AppendAsLeader(Batch(records), -1, minInsyncReplicas);
        Assert.Equal(ErrorCode.None, error);
        return Partition.LogEndOffset;
    }

    public static byte[] Batch(int records, byte fill = 7)
    {
        using var buffer = new PooledBufferWriter();
        using (var builder = new RecordBatchBuilder(buffer, CompressionType.None, 0))
        {
            for (int i = 0; i < records; i++)
            {
                builder.Append(1_700_000_000_000 + i, null, [fill, (byte)i]);
            }

            builder.Complete();
        }

        return buffer.ToArray();
    }

    public void Dispose()
    {
        _logs.Dispose();
        _dir.Dispose();
    }

    /// <summary>Keeps proposals for the test to answer as the controller would.</summary>
    internal sealed class RecordingSubmitter : IIsrChangeSubmitter
    {
        private readonly List<IsrChangeProposal> _proposals = [];

        public IReadOnlyList<IsrChangeProposal> All
        {
            get
            {
                lock (_proposals)
                {
                    return [.. _proposals];
                }
            }
        }

        public IsrChangeProposal Last => All[^1];

        public void Submit(IsrChangeProposal proposal)
        {
            lock (_proposals)
            {
                _proposals.Add(proposal);
            }
        }
    }
}
