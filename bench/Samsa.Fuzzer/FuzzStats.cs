namespace Samsa.Fuzzer;

/// <summary>Counters the fuzzing connections share; every update is atomic.</summary>
public sealed class FuzzStats
{
    private readonly long[] _sentByKind = new long[Enum.GetValues<MutationKind>().Length];
    private long _connections;
    private long _pipelinedRounds;
    private long _tinyWriteRounds;
    private long _responses;
    private long _errorResponses;
    private long _undecodableResponses;
    private long _unmatchedResponses;
    private long _closedByBroker;
    private long _unanswered;
    private long _connectFailures;

    public long Connections => Interlocked.Read(ref _connections);

    public long PipelinedRounds => Interlocked.Read(ref _pipelinedRounds);

    public long TinyWriteRounds => Interlocked.Read(ref _tinyWriteRounds);

    /// <summary>Response frames received (any verdict).</summary>
    public long Responses => Interlocked.Read(ref _responses);

    /// <summary>Responses that decoded and carried a non-zero error code.</summary>
    public long ErrorResponses => Interlocked.Read(ref _errorResponses);

    /// <summary>Responses that did not decode at the version requested: a broker encoding bug.</summary>
    public long UndecodableResponses => Interlocked.Read(ref _undecodableResponses);

    /// <summary>Responses to a correlation id not sent on that connection: a broker bug.</summary>
    public long UnmatchedResponses => Interlocked.Read(ref _unmatchedResponses);

    /// <summary>Connections the broker closed (EOF or reset) — its answer to bytes it cannot use.</summary>
    public long ClosedByBroker => Interlocked.Read(ref _closedByBroker);

    /// <summary>Rounds given up on after the reply deadline (acks=0 produce, a size prefix promising more bytes, ...).</summary>
    public long Unanswered => Interlocked.Read(ref _unanswered);

    public long ConnectFailures => Interlocked.Read(ref _connectFailures);

    public long Sent(MutationKind kind) => Interlocked.Read(ref _sentByKind[(int)kind]);

    public long TotalSent
    {
        get
        {
            long total = 0;
            foreach (MutationKind kind in Enum.GetValues<MutationKind>())
            {
                total += Sent(kind);
            }

            return total;
        }
    }

    internal void CountSent(MutationKind kind) => Interlocked.Increment(ref _sentByKind[(int)kind]);

    internal void CountConnection() => Interlocked.Increment(ref _connections);

    internal void CountPipelined() => Interlocked.Increment(ref _pipelinedRounds);

    internal void CountTinyWrites() => Interlocked.Increment(ref _tinyWriteRounds);

    internal void CountResponse(ResponseVerdict verdict)
    {
        Interlocked.Increment(ref _responses);
        if (verdict == ResponseVerdict.Error)
        {
            Interlocked.Increment(ref _errorResponses);
        }
        else if (verdict == ResponseVerdict.Undecodable)
        {
            Interlocked.Increment(ref _undecodableResponses);
        }
    }

    internal void CountUnmatched() => Interlocked.Increment(ref _unmatchedResponses);

    internal void CountClosedByBroker() => Interlocked.Increment(ref _closedByBroker);

    internal void CountUnanswered() => Interlocked.Increment(ref _unanswered);

    internal void CountConnectFailure() => Interlocked.Increment(ref _connectFailures);
}
