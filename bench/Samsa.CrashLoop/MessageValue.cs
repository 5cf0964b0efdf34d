using System.Globalization;

namespace Samsa.CrashLoop;

/// <summary>
/// A message value that identifies itself: "producer:partition:sequence:" and a filler derived from
/// those three, so the auditor needs nothing but the value to know where it belongs and whether its
/// bytes are intact. Sizes vary (0–119 filler bytes) so batches of different shapes are written.
/// </summary>
internal readonly record struct MessageValue(int Producer, int Partition, int Sequence)
{
    public string Format()
    {
        string head = string.Create(CultureInfo.InvariantCulture, $"{Producer}:{Partition}:{Sequence}:");
        return string.Concat(head, new string(FillerChar(), FillerLength()));
    }

    public static bool TryParse(string? text, out MessageValue value)
    {
        value = default;
        if (text is null)
        {
            return false;
        }

        string[] parts = text.Split(':', 4);
        if (parts.Length != 4
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int producer)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int partition)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int sequence))
        {
            return false;
        }

        var parsed = new MessageValue(producer, partition, sequence);
        if (!string.Equals(parsed.Format(), text, StringComparison.Ordinal))
        {
            return false;
        }

        value = parsed;
        return true;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"producer {Producer} partition {Partition} seq {Sequence}");

    private int FillerLength() => (int)(((Sequence * 7L) + Producer) % 120);

    private char FillerChar() => (char)('a' + (Sequence % 26));
}
