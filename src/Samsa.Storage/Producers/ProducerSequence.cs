namespace Samsa.Storage.Producers;

/// <summary>
/// Sequence arithmetic of the idempotent producer: a batch's records carry consecutive sequence
/// numbers from its base sequence, and after <see cref="int.MaxValue"/> the next number is 0.
/// </summary>
internal static class ProducerSequence
{
    /// <summary>The sequence <paramref name="increment"/> steps after <paramref name="sequence"/>, wrapping past int.MaxValue to 0.</summary>
    public static int Increment(int sequence, int increment) =>
        sequence > int.MaxValue - increment ? increment - (int.MaxValue - sequence) - 1 : sequence + increment;

    /// <summary>The sequence <paramref name="decrement"/> steps before <paramref name="sequence"/>, the inverse of <see cref="Increment"/>.</summary>
    public static int Decrement(int sequence, int decrement) =>
        sequence < decrement ? int.MaxValue - (decrement - sequence) + 1 : sequence - decrement;

    /// <summary>Whether <paramref name="next"/> directly follows <paramref name="last"/>.</summary>
    public static bool Follows(int last, int next) => next == last + 1L || (next == 0 && last == int.MaxValue);
}
