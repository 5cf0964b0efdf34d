namespace Samsa.Fuzzer;

/// <summary>How long and how hard to fuzz, and the bounds a run must stay within.</summary>
public sealed record FuzzOptions
{
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Seeds every connection's random sequence (connection i uses seed + i).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// A second seed (the test suite's random one): when set, every other connection uses it
    /// instead, so one run covers a fixed and a fresh sequence.
    /// </summary>
    public int? SecondSeed { get; init; }

    /// <summary>The seed connection <paramref name="index"/> runs with.</summary>
    public int SeedFor(int index) => SecondSeed is int second && index % 2 == 1
        ? unchecked(second + (index / 2))
        : unchecked(Seed + (SecondSeed is null ? index : index / 2));

    /// <summary>Concurrent fuzzing connections (each reconnects after every close).</summary>
    public int Connections { get; init; } = 8;

    /// <summary>The broker's resident memory must stay below this.</summary>
    public long MaxRssBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>The well-behaved producer may go at most this long without an acknowledgement.</summary>
    public TimeSpan MaxProducerStall { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Captured frames kept per API key and version, so chatty APIs (Fetch, Heartbeat) do not crowd out the rest.</summary>
    public int MaxFramesPerApiVersion { get; init; } = 12;
}
