using System.Reflection;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Messages;

/// <summary>
/// The generated data structures that are not API messages (offsets-topic records, consumer
/// protocol metadata), at every version: random content round-trips byte for byte.
/// </summary>
public sealed class DataSchemaRoundTripTests
{
    public static TheoryData<string, short> Cases()
    {
        var data = new TheoryData<string, short>();
        foreach (Type type in DataTypes())
        {
            short low = (short)type.GetField("LowestSupportedVersion")!.GetValue(null)!;
            short high = (short)type.GetField("HighestSupportedVersion")!.GetValue(null)!;
            for (short v = low; v <= high; v++)
            {
                data.Add(type.Name, v);
            }
        }

        return data;
    }

    [Fact]
    public void The_offsets_topic_and_consumer_protocol_schemas_are_generated()
    {
        var names = DataTypes().Select(t => t.Name).ToHashSet();
        // Every listed schema is generated (the generated set may hold more).
        Assert.Subset(names, new HashSet<string>
        {
            "OffsetCommitKey", "OffsetCommitValue", "GroupMetadataKey", "GroupMetadataValue", "ConsumerProtocolSubscription", "ConsumerProtocolAssignment",
            "ConsumerGroupMetadataKey", "ConsumerGroupMetadataValue", "ConsumerGroupMemberMetadataKey", "ConsumerGroupMemberMetadataValue",
            "ConsumerGroupTargetAssignmentMetadataKey", "ConsumerGroupTargetAssignmentMetadataValue", "ConsumerGroupTargetAssignmentMemberKey",
            "ConsumerGroupTargetAssignmentMemberValue", "ConsumerGroupCurrentMemberAssignmentKey", "ConsumerGroupCurrentMemberAssignmentValue",
        });
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_data_round_trips(string typeName, short version)
    {
        Type type = DataTypes().Single(t => t.Name == typeName);
        for (int seed = 0; seed < 20; seed++)
        {
            var original = (IProtocolData)Activator.CreateInstance(type)!;
            new RandomMessageFiller(seed).Fill(original);
            byte[] first;
            try
            {
                first = MessageRoundTripTests.Encode(original, version);
            }
            catch (ProtocolException)
            {
                continue;
            }

            var decoded = (IProtocolData)Activator.CreateInstance(type)!;
            var reader = new ProtocolReader(first);
            decoded.Read(ref reader, version);
            Assert.True(reader.End);
            Assert.Equal(first, MessageRoundTripTests.Encode(decoded, version));
        }
    }

    private static IEnumerable<Type> DataTypes() =>
        typeof(IProtocolData).Assembly.GetTypes().Where(t =>
            t.IsClass && !t.IsNested && typeof(IProtocolData).IsAssignableFrom(t) && !typeof(IApiMessage).IsAssignableFrom(t));
}
