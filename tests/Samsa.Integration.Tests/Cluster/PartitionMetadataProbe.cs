using System.Buffers.Binary;
using System.Text;
using Samsa.Integration.Tests.Network;

namespace Samsa.Integration.Tests.Cluster;

/// <summary>
/// Asks one broker for a topic's partitions with a hand-encoded Metadata v5 request and reads
/// leader, ISR and offline_replicas from the answer: Confluent.Kafka does not show
/// offline_replicas, which is what a broker's view of an offline replica looks like on the wire.
/// </summary>
internal static class PartitionMetadataProbe
{
    private const short MetadataApiKey = 3;
    private const short Version = 5;

    /// <summary>One partition as a broker describes it.</summary>
    public sealed record PartitionView(int Partition, short Error, int Leader, int[] Replicas, int[] Isr, int[] OfflineReplicas);

    public static async Task<IReadOnlyList<PartitionView>> DescribeAsync(int port, string topic, CancellationToken cancellationToken)
    {
        byte[] name = Encoding.UTF8.GetBytes(topic);
        byte[] body = new byte[4 + 2 + name.Length + 1];
        BinaryPrimitives.WriteInt32BigEndian(body, 1);
        BinaryPrimitives.WriteInt16BigEndian(body.AsSpan(4), (short)name.Length);
        name.CopyTo(body, 6);
        body[^1] = 0; // allow_auto_topic_creation = false

        using RawKafkaConnection connection = await RawKafkaConnection.ConnectAsync(port, cancellationToken);
        await connection.SendAsync(RawKafkaConnection.Frame(MetadataApiKey, Version, 1, body), cancellationToken);
        byte[] frame = await connection.ReceiveFrameAsync(cancellationToken) ?? throw new EndOfStreamException("The broker closed the connection instead of answering Metadata.");
        return Parse(frame, topic);
    }

    private static List<PartitionView> Parse(byte[] frame, string topic)
    {
        var reader = new Reader(frame);
        reader.Int32(); // correlation id
        reader.Int32(); // throttle_time_ms
        for (int brokers = reader.Int32(); brokers > 0; brokers--)
        {
            reader.Int32();
            reader.String();
            reader.Int32();
            reader.String();
        }

        reader.String(); // cluster_id
        reader.Int32(); // controller_id
        var partitions = new List<PartitionView>();
        for (int topics = reader.Int32(); topics > 0; topics--)
        {
            reader.Int16();
            string? name = reader.String();
            reader.Skip(1); // is_internal
            for (int count = reader.Int32(); count > 0; count--)
            {
                short error = reader.Int16();
                int index = reader.Int32();
                int leader = reader.Int32();
                var view = new PartitionView(index, error, leader, reader.Int32Array(), reader.Int32Array(), reader.Int32Array());
                if (name == topic)
                {
                    partitions.Add(view);
                }
            }
        }

        return partitions;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public short Int16()
        {
            short value = BinaryPrimitives.ReadInt16BigEndian(_data[_position..]);
            _position += 2;
            return value;
        }

        public int Int32()
        {
            int value = BinaryPrimitives.ReadInt32BigEndian(_data[_position..]);
            _position += 4;
            return value;
        }

        public string? String()
        {
            short length = Int16();
            if (length < 0)
            {
                return null;
            }

            string value = Encoding.UTF8.GetString(_data.Slice(_position, length));
            _position += length;
            return value;
        }

        public int[] Int32Array()
        {
            int count = Int32();
            int[] values = new int[Math.Max(count, 0)];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = Int32();
            }

            return values;
        }

        public void Skip(int bytes) => _position += bytes;
    }
}
