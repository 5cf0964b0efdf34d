namespace Samsa.Broker.Network;

/// <summary>
/// The broker-wide cap on requests read whose handlers have not finished: how many
/// (<c>queued.max.requests</c>) and how many frame bytes (<c>queued.max.request.bytes</c>).
/// A connection that wants to read a request it has no room for waits, and stops reading its
/// socket meanwhile, so TCP pushes back on the client instead of the broker buffering.
/// <para>
/// Kafka's request queue ends where an I/O thread picks the request up; Samsa starts a handler as
/// soon as a request is read, so a request counts until its handler has produced the response.
/// That includes waits Kafka parks in purgatory (a long-poll Fetch, a JoinGroup waiting for the
/// group, an acks=all Produce). So that parked requests cannot hold the budget while the requests
/// they wait for are unread, a connection with nothing in a handler may always start one small
/// request (up to <see cref="SmallRequestBytes"/>), which is every heartbeat, fetch and join a
/// normal client sends; only further pipelined or large requests wait. Like Kafka's non-strict
/// memory pool, a request is admitted while the byte count is below the cap, so one request may
/// overshoot it and the largest allowed request always fits eventually.
/// </para>
/// </summary>
internal sealed class RequestBudget
{
    /// <summary>Requests up to this size from a connection with nothing in a handler never wait.</summary>
    public const int SmallRequestBytes = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly ReleaseSignal _released = new();
    private readonly int _maxRequests;
    private readonly long _maxBytes;
    private int _requests;
    private long _bytes;

    /// <param name="maxBytes">Non-positive: no byte limit.</param>
    public RequestBudget(int maxRequests, long maxBytes)
    {
        _maxRequests = maxRequests;
        _maxBytes = maxBytes;
    }

    /// <summary>Requests admitted whose handlers have not finished.</summary>
    public int Requests
    {
        get
        {
            lock (_gate)
            {
                return _requests;
            }
        }
    }

    /// <summary>Frame bytes of those requests.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Admits a request of <paramref name="bytes"/> now if there is room; never waits.</summary>
    public bool TryAcquire(int bytes, bool connectionIdle)
    {
        lock (_gate)
        {
            return TryAcquireLocked(bytes, connectionIdle);
        }
    }

    /// <summary>Waits until a request of <paramref name="bytes"/> fits, then admits it.</summary>
    public async ValueTask AcquireAsync(int bytes, Func<bool> connectionIdle, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (TryAcquireLocked(bytes, connectionIdle()))
                {
                    return;
                }

                released = _released.Next();
            }

            await released.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives back what an admitted request of <paramref name="bytes"/> took.</summary>
    public void Release(int bytes)
    {
        lock (_gate)
        {
            _requests--;
            _bytes -= bytes;
        }

        _released.Release();
    }

    private bool TryAcquireLocked(int bytes, bool connectionIdle)
    {
        bool exempt = connectionIdle && bytes <= SmallRequestBytes;
        if (!exempt && (_requests >= _maxRequests || (_maxBytes > 0 && _bytes >= _maxBytes)))
        {
            return false;
        }

        _requests++;
        _bytes += bytes;
        return true;
    }
}
