namespace Samsa.Alternatives;

/// <summary>The record value every baseline sends: random capital letters, as kafka-producer-perf-test's payload.</summary>
internal static class Payload
{
    public static byte[] Create(int size)
    {
        byte[] payload = new byte[size];
        var random = new Random(0);
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(random.Next(26) + 'A');
        }

        return payload;
    }
}
