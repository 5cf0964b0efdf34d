using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Fetching;

/// <summary>
/// The broker's incremental fetch sessions (KIP-227), at most
/// <c>max.incremental.fetch.session.cache.slots</c> of them; when full, a new session evicts the
/// least recently used one (whose client then gets FETCH_SESSION_ID_NOT_FOUND and starts over with
/// a full fetch). Shared by every connection; the map is guarded by <see cref="_lock"/>, each
/// session by its own lock.
/// </summary>
internal sealed class FetchSessionCache
{
    /// <summary>Kafka's INVALID_SESSION_ID: "no session".</summary>
    public const int NoSession = 0;

    /// <summary>A full request that opens a new session.</summary>
    public const int InitialEpoch = 0;

    /// <summary>A full request that closes the session (if any) and stays sessionless.</summary>
    public const int FinalEpoch = -1;

    private readonly int _maxSlots;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, FetchSession> _sessions = [];
    private readonly Random _ids;
    private long _uses;

    /// <param name="maxSlots">max.incremental.fetch.session.cache.slots; 0 turns sessions off.</param>
    /// <param name="idSeed">Fixes the id sequence for tests; random otherwise.</param>
    public FetchSessionCache(int maxSlots, int? idSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSlots);
        _maxSlots = maxSlots;
        _ids = idSeed is int seed ? new Random(seed) : new Random();
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>
    /// Decides what a fetch request means for sessions. Full requests (epoch 0 or -1) first close the
    /// session they name; epoch 0 then opens a new one holding the request's partitions (none when
    /// sessions are off: the fetch is answered sessionless). Incremental requests (epoch &gt; 0) must
    /// name a live session at its expected epoch, with the same topic addressing it was created
    /// with; their partitions and forgotten topics update it.
    /// </summary>
    public FetchSessionStart Begin(FetchRequestData request, bool usesTopicIds)
    {
        if (request.SessionEpoch is InitialEpoch or FinalEpoch)
        {
            if (request.SessionId != NoSession)
            {
                Remove(request.SessionId);
            }

            if (request.SessionEpoch == FinalEpoch)
            {
                return FetchSessionStart.Sessionless;
            }

            FetchSession? created = TryCreate(usesTopicIds);
            if (created is null)
            {
                return FetchSessionStart.Sessionless;
            }

            lock (created.Lock)
            {
                created.Apply(request);
            }

            // Apply advanced the epoch past the creating request's; a new session expects 1 next.
            return new FetchSessionStart(ErrorCode.None, created, Incremental: false);
        }

        FetchSession? session;
        lock (_lock)
        {
            if (_sessions.TryGetValue(request.SessionId, out session))
            {
                session.LastUsed = ++_uses;
            }
        }

        if (session is null)
        {
            return new FetchSessionStart(ErrorCode.FetchSessionIdNotFound, null, Incremental: true);
        }

        lock (session.Lock)
        {
            if (session.Epoch != request.SessionEpoch)
            {
                return new FetchSessionStart(ErrorCode.InvalidFetchSessionEpoch, null, Incremental: true);
            }

            if (session.UsesTopicIds != usesTopicIds)
            {
                return new FetchSessionStart(ErrorCode.FetchSessionTopicIdError, null, Incremental: true);
            }

            session.Apply(request);
        }

        return new FetchSessionStart(ErrorCode.None, session, Incremental: true);
    }

    public bool Remove(int sessionId)
    {
        lock (_lock)
        {
            return _sessions.Remove(sessionId);
        }
    }

    private FetchSession? TryCreate(bool usesTopicIds)
    {
        if (_maxSlots == 0)
        {
            return null;
        }

        lock (_lock)
        {
            if (_sessions.Count >= _maxSlots)
            {
                EvictLeastRecentlyUsed();
            }

            int id;
            do
            {
                id = _ids.Next(1, int.MaxValue);
            }
            while (_sessions.ContainsKey(id));

            var session = new FetchSession(id, usesTopicIds) { LastUsed = ++_uses };
            _sessions.Add(id, session);
            return session;
        }
    }

    /// <summary>A linear scan: it runs only when a full cache admits a new session, over at most the slot count.</summary>
    private void EvictLeastRecentlyUsed()
    {
        FetchSession? oldest = null;
        foreach (FetchSession session in _sessions.Values)
        {
            if (oldest is null || session.LastUsed < oldest.LastUsed)
            {
                oldest = session;
            }
        }

        if (oldest is not null)
        {
            _sessions.Remove(oldest.Id);
        }
    }
}
