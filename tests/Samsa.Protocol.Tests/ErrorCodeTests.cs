namespace Samsa.Protocol.Tests;

public sealed class ErrorCodeTests
{
    [Theory]
    [InlineData(-1, "UNKNOWN_SERVER_ERROR", false)]
    [InlineData(0, "NONE", false)]
    [InlineData(2, "CORRUPT_MESSAGE", true)]
    [InlineData(3, "UNKNOWN_TOPIC_OR_PARTITION", true)]
    [InlineData(6, "NOT_LEADER_OR_FOLLOWER", true)]
    [InlineData(7, "REQUEST_TIMED_OUT", true)]
    [InlineData(10, "MESSAGE_TOO_LARGE", false)]
    [InlineData(16, "NOT_COORDINATOR", true)]
    [InlineData(19, "NOT_ENOUGH_REPLICAS", true)]
    [InlineData(20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true)]
    [InlineData(27, "REBALANCE_IN_PROGRESS", false)]
    [InlineData(35, "UNSUPPORTED_VERSION", false)]
    [InlineData(36, "TOPIC_ALREADY_EXISTS", false)]
    [InlineData(41, "NOT_CONTROLLER", true)]
    [InlineData(51, "CONCURRENT_TRANSACTIONS", true)]
    [InlineData(56, "KAFKA_STORAGE_ERROR", true)]
    [InlineData(74, "FENCED_LEADER_EPOCH", true)]
    [InlineData(79, "MEMBER_ID_REQUIRED", false)]
    [InlineData(90, "PRODUCER_FENCED", false)]
    [InlineData(100, "UNKNOWN_TOPIC_ID", true)]
    [InlineData(113, "STALE_MEMBER_EPOCH", false)]
    [InlineData(133, "SHARE_SESSION_LIMIT_REACHED", true)]
    public void KnownCode_HasKafkaNumberNameAndRetriability(short value, string kafkaName, bool retriable)
    {
        var code = (ErrorCode)value;

        Assert.True(Enum.IsDefined(code));
        Assert.Equal(kafkaName, code.KafkaName());
        Assert.Equal(retriable, code.IsRetriable());
    }

    [Fact]
    public void NamedMembers_HaveTheKafkaNumbers()
    {
        Assert.Equal(-1, (short)ErrorCode.UnknownServerError);
        Assert.Equal(0, (short)ErrorCode.None);
        Assert.Equal(6, (short)ErrorCode.NotLeaderOrFollower);
        Assert.Equal(19, (short)ErrorCode.NotEnoughReplicas);
        Assert.Equal(36, (short)ErrorCode.TopicAlreadyExists);
        Assert.Equal(79, (short)ErrorCode.MemberIdRequired);
    }

    [Fact]
    public void Codes_AreContiguousFromMinusOneToTheHighest()
    {
        // GetValues orders by the unsigned bit pattern, which puts -1 last; compare as signed.
        var values = Enum.GetValues<ErrorCode>();
        var present = new bool[values.Length];
        foreach (var code in values)
        {
            int slot = (short)code + 1;
            Assert.InRange(slot, 0, values.Length - 1);
            present[slot] = true;
        }

        Assert.Equal(135, values.Length);
        Assert.DoesNotContain(false, present);
        Assert.Equal(ErrorCode.ShareSessionLimitReached, (ErrorCode)(short)(values.Length - 2));
    }

    [Fact]
    public void EveryCode_HasADistinctKafkaName()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            string name = code.KafkaName();
            Assert.False(name.StartsWith("UNKNOWN_ERROR_", StringComparison.Ordinal), $"{code} has no Kafka name");
            Assert.True(seen.Add(name), $"{name} is used twice");
        }
    }

    [Fact]
    public void KafkaName_WithoutUnderscores_MatchesTheMemberName()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            string squashed = code.KafkaName().Replace("_", string.Empty, StringComparison.Ordinal);
            Assert.Equal(code.ToString(), squashed, ignoreCase: true);
        }
    }

    [Fact]
    public void EveryErrorCode_HasADefaultMessage_AndNoneHasNone()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            if (code == ErrorCode.None)
            {
                Assert.Equal(string.Empty, code.DefaultMessage());
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(code.DefaultMessage()), $"{code} has no message");
            }
        }
    }

    [Theory]
    [InlineData(-2)]
    [InlineData(134)]
    [InlineData(short.MaxValue)]
    [InlineData(short.MinValue)]
    public void UnknownValue_IsNamedByNumber_AndNotRetriable(short value)
    {
        var code = (ErrorCode)value;

        Assert.Equal("UNKNOWN_ERROR_" + value.ToString(System.Globalization.CultureInfo.InvariantCulture), code.KafkaName());
        Assert.False(code.IsRetriable());
        Assert.False(string.IsNullOrEmpty(code.DefaultMessage()));
    }
}
