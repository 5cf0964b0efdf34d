namespace Samsa.LoadGenerator;

/// <summary>What a run measured: the topic it used and the result of each phase it ran.</summary>
internal sealed class LoadReport
{
    public required TopicLayout Topic { get; init; }

    public PhaseResult? Produce { get; init; }

    public PhaseResult? Fetch { get; init; }

    public bool HasErrors => (Produce?.Errors.Total ?? 0) + (Fetch?.Errors.Total ?? 0) > 0;
}
