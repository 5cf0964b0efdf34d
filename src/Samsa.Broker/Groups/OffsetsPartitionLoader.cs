using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Protocol.Records;
using Samsa.Storage;
using Samsa.Storage.Log;

namespace Samsa.Broker.Groups;

/// <summary>
/// Rebuilds the groups and committed offsets of one __consumer_offsets partition by reading its
/// log from the start to <c>endOffset</c> (Kafka's GroupMetadataManager.doLoadGroupsAndOffsets):
/// later records win, tombstones delete, unknown record types are skipped. Runs on a thread-pool
/// thread of the coordinator's load; touches no coordinator state.
/// </summary>
internal static class OffsetsPartitionLoader
{
    /// <summary>Bytes read from the log per step.</summary>
    private const int ReadChunkBytes = 4 * 1024 * 1024;

    /// <summary>Bound on one batch's decompressed size; a larger batch is corrupt for this topic.</summary>
    private const int MaxDecompressedBytes = 256 * 1024 * 1024;

    public static Dictionary<string, ClassicGroup> Load(PartitionLog log, long endOffset, int partition, long nowMs, out int recordCount) =>
        Load(log, endOffset, partition, nowMs, new GroupCoordinatorOptions().ConsumerSessionTimeoutMs, out recordCount);

    public static Dictionary<string, ClassicGroup> Load(PartitionLog log, long endOffset, int partition, long nowMs, int consumerSessionTimeoutMs, out int recordCount)
    {
        var groupValues = new Dictionary<string, GroupMetadataValue>(StringComparer.Ordinal);
        var offsets = new Dictionary<string, Dictionary<TopicPartition, CommittedOffset>>(StringComparer.Ordinal);
        var consumerGroups = new Dictionary<string, ConsumerGroupRecords>(StringComparer.Ordinal);
        recordCount = 0;
        using var chunk = new PooledBufferWriter();
        using var decompressed = new PooledBufferWriter();
        long offset = log.LogStartOffset;
        while (offset < endOffset)
        {
            LogReadInfo read = log.Read(offset, ReadChunkBytes, endOffset, minOneBatch: true);
            if (read.Status != LogReadStatus.Success)
            {
                throw new StorageException($"Reading {OffsetsTopic.Name}-{partition} at offset {offset} failed: {read.Status}.");
            }

            if (read.Length == 0)
            {
                break;
            }

            chunk.Clear();
            read.ReadInto(chunk);
            long next = offset;
            RecordBatchEnumerator batches = RecordBatch.Enumerate(chunk.WrittenMemory);
            while (batches.MoveNext())
            {
                ReadOnlyMemory<byte> batch = batches.Current;
                var header = new RecordBatchHeader(batch.Span);
                long baseOffset = header.BaseOffset;
                next = header.LastOffset + 1;
                // Control batches are transaction markers; transactional offset commits are not supported yet.
                if (header.IsControlBatch || header.IsTransactional)
                {
                    continue;
                }

                recordCount += ApplyBatch(batch, baseOffset, offset, decompressed, groupValues, offsets, consumerGroups);
            }

            if (next <= offset)
            {
                break;
            }

            offset = next;
        }

        var groups = new Dictionary<string, ClassicGroup>(StringComparer.Ordinal);
        foreach ((string groupId, GroupMetadataValue value) in groupValues)
        {
            groups[groupId] = FromValue(groupId, partition, value, nowMs);
        }

        foreach ((string groupId, ConsumerGroupRecords stored) in consumerGroups)
        {
            if (stored.Epoch is not int epoch)
            {
                continue;
            }

            if (!groups.TryGetValue(groupId, out ClassicGroup? entry) || entry.Members.Count > 0)
            {
                entry = new ClassicGroup(groupId, partition, nowMs);
                groups[groupId] = entry;
            }

            entry.ConsumerProtocol = stored.Build(epoch, nowMs, consumerSessionTimeoutMs);
        }

        foreach ((string groupId, Dictionary<TopicPartition, CommittedOffset> committed) in offsets)
        {
            if (committed.Count == 0)
            {
                continue;
            }

            if (!groups.TryGetValue(groupId, out ClassicGroup? group))
            {
                // Offsets without group metadata: a group that only commits (no state timestamp).
                group = new ClassicGroup(groupId, partition, nowMs) { CurrentStateTimestampMs = -1 };
                groups[groupId] = group;
            }

            foreach ((TopicPartition tp, CommittedOffset value) in committed)
            {
                group.Offsets[tp] = value;
            }
        }

        return groups;
    }

    private static int ApplyBatch(
        ReadOnlyMemory<byte> batch,
        long baseOffset,
        long fromOffset,
        PooledBufferWriter decompressed,
        Dictionary<string, GroupMetadataValue> groupValues,
        Dictionary<string, Dictionary<TopicPartition, CommittedOffset>> offsets,
        Dictionary<string, ConsumerGroupRecords> consumerGroups)
    {
        int applied = 0;
        RecordEnumerator records;
        try
        {
            records = RecordBatch.GetRecords(batch, decompressed, MaxDecompressedBytes);
        }
        catch (ProtocolException)
        {
            return 0;
        }

        while (records.TryMoveNext() == RecordReadStatus.Record)
        {
            Record record = records.Current;
            if (record.GetOffset(baseOffset) < fromOffset || record.IsKeyNull)
            {
                continue;
            }

            try
            {
                Apply(record.Key.ToArray(), record.IsValueNull ? null : record.Value.ToArray(), groupValues, offsets, consumerGroups);
                applied++;
            }
            catch (ProtocolException)
            {
                // A record this version cannot read: skipped, as Kafka skips unknown record types.
            }
        }

        return applied;
    }

    private static void Apply(
        byte[] key,
        byte[]? value,
        Dictionary<string, GroupMetadataValue> groupValues,
        Dictionary<string, Dictionary<TopicPartition, CommittedOffset>> offsets,
        Dictionary<string, ConsumerGroupRecords> consumerGroups)
    {
        short keyVersion = GroupRecordCodec.VersionOf(key);
        if (keyVersion is 0 or 1)
        {
            OffsetCommitKey k = GroupRecordCodec.Decode<OffsetCommitKey>(key, OffsetCommitKey.HighestSupportedVersion);
            var tp = new TopicPartition(k.Topic, k.Partition);
            if (value is null)
            {
                offsets.GetValueOrDefault(k.Group)?.Remove(tp);
                return;
            }

            OffsetCommitValue v = GroupRecordCodec.Decode<OffsetCommitValue>(value, OffsetCommitValue.HighestSupportedVersion);
            if (!offsets.TryGetValue(k.Group, out Dictionary<TopicPartition, CommittedOffset>? committed))
            {
                committed = [];
                offsets[k.Group] = committed;
            }

            committed[tp] = new CommittedOffset(v.Offset, v.LeaderEpoch, v.Metadata, v.CommitTimestamp, v.ExpireTimestamp);
        }
        else if (keyVersion == 2)
        {
            GroupMetadataKey k = GroupRecordCodec.Decode<GroupMetadataKey>(key, GroupMetadataKey.HighestSupportedVersion);
            if (value is null)
            {
                groupValues.Remove(k.Group);
                return;
            }

            groupValues[k.Group] = GroupRecordCodec.Decode<GroupMetadataValue>(value, GroupMetadataValue.HighestSupportedVersion);
        }

        else
        {
            // The KIP-848 consumer group records (types 3 to 8); later types (share, streams) are skipped.
            ConsumerGroupRecords.Apply(keyVersion, key, value, consumerGroups);
        }
    }

    /// <summary>A group as stored: Stable with its members and assignments, or Empty without members.</summary>
    private static ClassicGroup FromValue(string groupId, int partition, GroupMetadataValue value, long nowMs)
    {
        var group = new ClassicGroup(groupId, partition, nowMs)
        {
            GenerationId = value.Generation,
            ProtocolType = value.ProtocolType.Length == 0 ? null : value.ProtocolType,
            ProtocolName = value.Protocol,
        };
        foreach (GroupMetadataValue.MemberMetadata stored in value.Members)
        {
            var protocols = new List<(string Name, byte[] Metadata)> { (value.Protocol ?? string.Empty, stored.Subscription.ToArray()) };
            var member = new GroupMember(stored.MemberId, stored.GroupInstanceId, stored.ClientId, stored.ClientHost, stored.RebalanceTimeout, stored.SessionTimeout, value.ProtocolType, protocols)
            {
                Assignment = stored.Assignment.ToArray(),
                HeartbeatDeadlineMs = nowMs + stored.SessionTimeout,
            };
            group.Add(member);
        }

        group.LeaderId = value.Leader;
        group.TransitionTo(group.Members.Count == 0 ? GroupState.Empty : GroupState.Stable, nowMs);
        group.CurrentStateTimestampMs = value.CurrentStateTimestamp >= 0 ? value.CurrentStateTimestamp : nowMs;
        group.SubscribedTopics = ConsumerSubscriptions.TopicsOf(group);
        return group;
    }
}
