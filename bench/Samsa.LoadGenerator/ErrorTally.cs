using System.Globalization;
using System.Text;
using Samsa.Protocol;

namespace Samsa.LoadGenerator;

/// <summary>
/// Error codes seen in responses, counted per code (top-level and per partition), plus failures
/// that are not error codes (a closed connection, a malformed response). One per connection loop;
/// merged after the run. Only the error path touches the dictionary.
/// </summary>
internal sealed class ErrorTally
{
    private readonly Dictionary<ErrorCode, long> _codes = [];
    private readonly List<string> _failures = [];

    /// <summary>Connection-level failures, each ending its connection's loop.</summary>
    public IReadOnlyList<string> Failures => _failures;

    public long Total
    {
        get
        {
            long total = _failures.Count;
            foreach (long count in _codes.Values)
            {
                total += count;
            }

            return total;
        }
    }

    public void Add(ErrorCode code, long count = 1)
    {
        _codes[code] = _codes.GetValueOrDefault(code) + count;
    }

    public void AddFailure(string failure) => _failures.Add(failure);

    public void Add(ErrorTally other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (KeyValuePair<ErrorCode, long> entry in other._codes)
        {
            Add(entry.Key, entry.Value);
        }

        _failures.AddRange(other._failures);
    }

    public override string ToString()
    {
        if (Total == 0)
        {
            return "none";
        }

        var text = new StringBuilder();
        foreach (KeyValuePair<ErrorCode, long> entry in _codes)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(CultureInfo.InvariantCulture, $"{entry.Key.KafkaName()} ({(short)entry.Key}) x {entry.Value}");
        }

        foreach (string failure in _failures)
        {
            if (text.Length > 0)
            {
                text.Append(", ");
            }

            text.Append(failure);
        }

        return text.ToString();
    }
}
