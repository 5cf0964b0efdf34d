using System.Buffers.Binary;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Groups;

/// <summary>
/// The bytes of __consumer_offsets records: each key and value is an int16 version followed by
/// the struct at that version. Writes what Kafka 3.x writes (OffsetCommitKey v1 with
/// OffsetCommitValue v3, or v1 when the commit carries its own expiry; GroupMetadataKey v2 with
/// GroupMetadataValue v3) and reads every version Kafka wrote. The KIP-848 record types are
/// <see cref="ConsumerGroupRecordCodec"/>'s.
/// </summary>
internal static class GroupRecordCodec
{
    public const short OffsetCommitKeyVersion = 1;
    public const short GroupMetadataKeyVersion = 2;
    public const short OffsetCommitValueVersion = 3;
    public const short OffsetCommitValueWithExpiryVersion = 1;
    public const short GroupMetadataValueVersion = 3;

    public static byte[] OffsetKey(string group, string topic, int partition) =>
        Encode(new OffsetCommitKey { Group = group, Topic = topic, Partition = partition }, OffsetCommitKeyVersion);

    public static byte[] OffsetValue(CommittedOffset offset) =>
        Encode(
            new OffsetCommitValue
            {
                Offset = offset.Offset,
                LeaderEpoch = offset.LeaderEpoch,
                Metadata = offset.Metadata,
                CommitTimestamp = offset.CommitTimestamp,
                ExpireTimestamp = offset.ExpireTimestamp,
            },
            offset.ExpireTimestamp >= 0 ? OffsetCommitValueWithExpiryVersion : OffsetCommitValueVersion);

    public static byte[] GroupKey(string group) =>
        Encode(new GroupMetadataKey { Group = group }, GroupMetadataKeyVersion);

    /// <summary>The group as of now, with each member's assignment taken from <paramref name="assignment"/> (or the member's own).</summary>
    public static byte[] GroupValue(ClassicGroup group, IReadOnlyDictionary<string, byte[]>? assignment)
    {
        var value = new GroupMetadataValue
        {
            ProtocolType = group.ProtocolType ?? string.Empty,
            Generation = group.GenerationId,
            Protocol = group.ProtocolName,
            Leader = group.LeaderId,
            CurrentStateTimestamp = group.CurrentStateTimestampMs,
        };
        foreach (GroupMember member in group.Members.Values)
        {
            value.Members.Add(new GroupMetadataValue.MemberMetadata
            {
                MemberId = member.MemberId,
                GroupInstanceId = member.GroupInstanceId,
                ClientId = member.ClientId,
                ClientHost = member.ClientHost,
                RebalanceTimeout = member.RebalanceTimeoutMs,
                SessionTimeout = member.SessionTimeoutMs,
                Subscription = group.ProtocolName is null ? [] : member.MetadataFor(group.ProtocolName) ?? [],
                Assignment = assignment is not null ? assignment.GetValueOrDefault(member.MemberId) ?? [] : member.Assignment,
            });
        }

        return Encode(value, GroupMetadataValueVersion);
    }

    internal static byte[] Encode(IProtocolData data, short version)
    {
        using var buffer = new PooledBufferWriter();
        var writer = new ProtocolWriter(buffer);
        writer.WriteInt16(version);
        data.Write(ref writer, version);
        return buffer.ToArray();
    }

    /// <summary>The version prefix of a key or value; -1 when it is too short to have one.</summary>
    public static short VersionOf(ReadOnlySpan<byte> bytes) =>
        bytes.Length < 2 ? (short)-1 : BinaryPrimitives.ReadInt16BigEndian(bytes);

    /// <summary>Decodes a struct after its version prefix, reading a newer version than known as the newest known (fields are only appended).</summary>
    public static T Decode<T>(ReadOnlyMemory<byte> bytes, short highestKnown)
        where T : IProtocolData, new()
    {
        short version = VersionOf(bytes.Span);
        if (version < 0)
        {
            throw new ProtocolException("Record key or value without a version.");
        }

        var reader = new ProtocolReader(bytes[2..]);
        var data = new T();
        data.Read(ref reader, Math.Min(version, highestKnown));
        return data;
    }
}
