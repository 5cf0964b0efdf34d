namespace Samsa.Server;

/// <summary>
/// Writes log lines on a thread of its own, in the order they were logged, so a slow reader of
/// stdout (a terminal, a full pipe) delays the log, not the request that logged. Past
/// <see cref="Capacity"/> lines waiting, loggers wait too rather than drop lines, as
/// Microsoft.Extensions.Logging.Console does by default.
/// </summary>
internal sealed class LogLineWriter : IDisposable
{
    private const int Capacity = 10_000;

    private readonly TextWriter _output;
    private readonly Queue<string> _lines = new();

    // A monitor, not a System.Threading.Lock: the writer waits on it (Monitor.Wait/PulseAll).
    private readonly object _lock = new();
    private readonly Thread _thread;
    private bool _completed;

    // The thread has written everything and returned: later lines are written by their loggers.
    private bool _writerDone;

    public LogLineWriter(TextWriter output)
    {
        _output = output;
        _thread = new Thread(Run) { IsBackground = true, Name = "log writer" };
        _thread.Start();
    }

    public void Enqueue(string line)
    {
        lock (_lock)
        {
            while (_lines.Count >= Capacity && !_completed)
            {
                Monitor.Wait(_lock);
            }

            if (_writerDone)
            {
                // Logged after shutdown: written here (under the lock, so one at a time) rather than lost.
                _output.Write(line);
                _output.Flush();
                return;
            }

            _lines.Enqueue(line);
            if (_lines.Count == 1)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    private void Run()
    {
        while (true)
        {
            string line;
            bool more;
            lock (_lock)
            {
                while (_lines.Count == 0 && !_completed)
                {
                    Monitor.Wait(_lock);
                }

                if (_lines.Count == 0)
                {
                    _output.Flush();
                    _writerDone = true;
                    return;
                }

                line = _lines.Dequeue();
                more = _lines.Count > 0;
                if (_lines.Count == Capacity - 1)
                {
                    Monitor.PulseAll(_lock);
                }
            }

            _output.Write(line);
            if (!more)
            {
                _output.Flush();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            Monitor.PulseAll(_lock);
        }

        _thread.Join();
    }
}
