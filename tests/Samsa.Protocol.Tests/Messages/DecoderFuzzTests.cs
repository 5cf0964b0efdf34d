using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Messages;

/// <summary>
/// Random and mutated bytes fed to every decoder: the only acceptable failure is
/// <see cref="ProtocolException"/>, and no decode may allocate far more than its input
/// (a lying length or count must never drive an allocation).
/// </summary>
public sealed class DecoderFuzzTests
{
    private const int MutationsPerCase = 40;

    public static TheoryData<ApiKey, short, bool> Cases => MessageCases.All();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Mutated_valid_messages_fail_only_with_protocol_exception(ApiKey key, short version, bool isRequest)
    {
        var random = new Random(HashCode.Combine((int)key, version, isRequest));
        byte[] valid = EncodeSample(key, version, isRequest, random.Next());
        for (int i = 0; i < MutationsPerCase; i++)
        {
            byte[] mutated = Mutate(valid, random);
            DecodeExpectingOnlyProtocolErrors(key, version, isRequest, mutated);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Random_bytes_fail_only_with_protocol_exception(ApiKey key, short version, bool isRequest)
    {
        var random = new Random(HashCode.Combine((int)key, version, isRequest, 17));
        for (int i = 0; i < 20; i++)
        {
            byte[] noise = new byte[random.Next(0, 128)];
            random.NextBytes(noise);
            DecodeExpectingOnlyProtocolErrors(key, version, isRequest, noise);
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_message_is_a_protocol_exception()
    {
        foreach (short k in ApiMessageTable.Keys)
        {
            var key = (ApiKey)k;
            short version = ApiMessageTable.HighestVersion(key);
            byte[] valid = EncodeSample(key, version, isRequest: true, seed: k);
            for (int length = 0; length < valid.Length; length++)
            {
                IApiMessage message = MessageCases.Create(key, isRequest: true);
                byte[] truncated = valid.AsSpan(0, length).ToArray();
                Assert.Throws<ProtocolException>((Action)(() =>
                {
                    var reader = new ProtocolReader(truncated);
                    message.Read(ref reader, version);
                }));
            }
        }
    }

    [Fact]
    public void Request_header_rejects_garbage_with_protocol_exception()
    {
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            byte[] noise = new byte[random.Next(0, 40)];
            random.NextBytes(noise);
            try
            {
                var reader = new ProtocolReader(noise);
                new RequestHeader().Read(ref reader);
            }
            catch (ProtocolException)
            {
            }
        }
    }

    private static byte[] EncodeSample(ApiKey key, short version, bool isRequest, int seed)
    {
        for (int attempt = 0; ; attempt++)
        {
            IApiMessage message = MessageCases.Create(key, isRequest);
            new RandomMessageFiller(seed + attempt) { NullChance = 0 }.Fill(message);
            try
            {
                return MessageRoundTripTests.Encode(message, version);
            }
            catch (ProtocolException) when (attempt < 10)
            {
            }
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        byte[] bytes = (byte[])valid.Clone();
        switch (random.Next(5))
        {
            case 0 when bytes.Length > 0:
                bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            case 1 when bytes.Length > 0:
                // Lengths and counts turned huge or negative.
                int at = random.Next(bytes.Length);
                for (int i = at; i < Math.Min(bytes.Length, at + 4); i++)
                {
                    bytes[i] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F;
                }

                return bytes;
            case 2:
                return bytes.AsSpan(0, random.Next(bytes.Length + 1)).ToArray();
            case 3:
                byte[] extra = new byte[random.Next(1, 8)];
                random.NextBytes(extra);
                int insertAt = random.Next(bytes.Length + 1);
                return [.. bytes.AsSpan(0, insertAt), .. extra, .. bytes.AsSpan(insertAt)];
            default:
                for (int i = 0; i < 3 && bytes.Length > 0; i++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
        }
    }

    private static void DecodeExpectingOnlyProtocolErrors(ApiKey key, short version, bool isRequest, byte[] input)
    {
        IApiMessage message = MessageCases.Create(key, isRequest);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var reader = new ProtocolReader(input);
            message.Read(ref reader, version);
        }
        catch (ProtocolException)
        {
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Objects per decoded element are fine; a claimed size that is not there is not.
        Assert.True(allocated < 64 * 1024 + (input.Length * 256L), $"{key} v{version}: decoding {input.Length} bytes allocated {allocated} bytes");
    }
}
