namespace Samsa.CrashLoop;

/// <summary>
/// The last lines of a librdkafka debug log, kept in memory and printed only when something goes
/// wrong (a failed delivery, a stalled group): they say what the client saw just before. Written
/// from librdkafka's threads, read from any.
/// </summary>
internal sealed class DebugRing(int capacity)
{
    private readonly Queue<string> _lines = new();
    private string? _last;
    private DateTime _lastAt;
    private int _repeats;

    public void Add(string facility, string message)
    {
        string text = facility + " " + message;
        DateTime now = DateTime.UtcNow;
        lock (_lines)
        {
            // A client retrying in a tight loop logs the same line hundreds of times a second;
            // counting repeats keeps what came before it in the ring.
            if (text == _last)
            {
                _repeats++;
                _lastAt = now;
                return;
            }

            FlushRepeats();
            _last = text;
            Enqueue($"{now:HH:mm:ss.fff} {text}");
        }
    }

    public string Dump()
    {
        lock (_lines)
        {
            FlushRepeats();
            return string.Join("\n", _lines);
        }
    }

    private void FlushRepeats()
    {
        if (_repeats > 0)
        {
            Enqueue($"{_lastAt:HH:mm:ss.fff} (the line above {_repeats} more times)");
            _repeats = 0;
        }
    }

    private void Enqueue(string line)
    {
        if (_lines.Count == capacity)
        {
            _lines.Dequeue();
        }

        _lines.Enqueue(line);
    }
}
