namespace Samsa.CrashLoop;

/// <summary>
/// Where every part of a run reports: progress lines go to the caller's writer as they happen;
/// problems (a lost or duplicated message, a corrupt batch, an offset that went backwards, a stuck
/// round) are also kept, and any problem fails the run. Called from any thread.
/// </summary>
internal sealed class RunJournal(Action<string> write)
{
    private const int MaxKeptProblems = 200;

    private readonly Lock _lock = new();
    private readonly List<string> _problems = [];
    private readonly SortedDictionary<string, long> _tallies = new(StringComparer.Ordinal);
    private int _problemCount;

    public int ProblemCount => Volatile.Read(ref _problemCount);

    public void Info(string line)
    {
        lock (_lock)
        {
            write(line);
        }
    }

    public void Problem(string problem)
    {
        lock (_lock)
        {
            _problemCount++;
            if (_problems.Count < MaxKeptProblems)
            {
                _problems.Add(problem);
            }

            write("PROBLEM: " + problem);
        }
    }

    /// <summary>Counts an event that is allowed but worth reporting (a failed delivery by error code, a rebalance).</summary>
    public void Tally(string what)
    {
        lock (_lock)
        {
            _tallies.TryGetValue(what, out long count);
            _tallies[what] = count + 1;
        }
    }

    public IReadOnlyDictionary<string, long> Tallies()
    {
        lock (_lock)
        {
            return new Dictionary<string, long>(_tallies, StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<string> Problems()
    {
        lock (_lock)
        {
            return [.. _problems];
        }
    }
}
