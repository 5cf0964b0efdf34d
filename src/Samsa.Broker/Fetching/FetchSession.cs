using Samsa.Protocol.Messages;

namespace Samsa.Broker.Fetching;

/// <summary>
/// An incremental fetch session (KIP-227): the partitions one client fetches and the epoch its
/// next request must carry. The client sends only partitions whose fetch parameters changed and
/// the ones it forgets; the broker answers only partitions with something new. Owned by the
/// <see cref="FetchSessionCache"/>; the fetch handler works on it under <see cref="Lock"/> (a
/// well-behaved client has one fetch per session in flight, but a broken one must not corrupt it).
/// </summary>
internal sealed class FetchSession(int id, bool usesTopicIds)
{
    // Insertion order is the response order; partitions that were just answered move to the end so
    // a response that fills up on the first partitions does not starve the others.
    private readonly OrderedDictionary<FetchSessionKey, CachedFetchPartition> _partitions = [];

    public int Id { get; } = id;

    /// <summary>Whether the session was created by a Fetch version that names topics by id (v13+).</summary>
    public bool UsesTopicIds { get; } = usesTopicIds;

    /// <summary>
    /// The epoch the next incremental request must carry: 0 until the creating (full) request is
    /// applied, then 1, 2, ...
    /// </summary>
    public int Epoch { get; private set; }

    /// <summary>Recency for least-recently-used eviction, set by the cache.</summary>
    internal long LastUsed { get; set; }

    public Lock Lock { get; } = new();

    public int PartitionCount => _partitions.Count;

    /// <summary>Adds or updates the request's partitions and drops the forgotten ones, then advances the epoch.</summary>
    public void Apply(FetchRequestData request)
    {
        foreach (FetchRequestData.FetchTopic topic in request.Topics)
        {
            foreach (FetchRequestData.FetchPartition partition in topic.Partitions)
            {
                var key = new FetchSessionKey(topic.Topic, topic.TopicId, partition.Partition);
                if (_partitions.TryGetValue(key, out CachedFetchPartition? cached))
                {
                    cached.Fetch = partition;
                }
                else
                {
                    _partitions.Add(key, new CachedFetchPartition(key, partition));
                }
            }
        }

        foreach (FetchRequestData.ForgottenTopic forgotten in request.ForgottenTopicsData)
        {
            foreach (int partition in forgotten.Partitions)
            {
                _partitions.Remove(new FetchSessionKey(forgotten.Topic, forgotten.TopicId, partition));
            }
        }

        // Kafka's nextEpoch: wraps from int.MaxValue to 1, never to 0 (new session) or -1 (close).
        Epoch = Epoch == int.MaxValue ? 1 : Epoch + 1;
    }

    /// <summary>Every partition of the session, grouped into topics in session order, as a request would list them.</summary>
    public List<FetchRequestData.FetchTopic> ToTopics()
    {
        var topics = new List<FetchRequestData.FetchTopic>();
        FetchRequestData.FetchTopic? current = null;
        foreach (CachedFetchPartition cached in _partitions.Values)
        {
            if (current is null || current.Topic != cached.Key.Topic || current.TopicId != cached.Key.TopicId)
            {
                current = new FetchRequestData.FetchTopic { Topic = cached.Key.Topic, TopicId = cached.Key.TopicId };
                topics.Add(current);
            }

            current.Partitions.Add(cached.Fetch);
        }

        return topics;
    }

    /// <summary>
    /// Records what <paramref name="response"/> tells the client. With <paramref name="incremental"/>
    /// it also drops the partitions with nothing new (and topics left empty), and moves the answered
    /// partitions to the end of the session.
    /// </summary>
    public void Update(FetchResponseData response, bool incremental)
    {
        List<FetchSessionKey>? answered = null;
        for (int t = response.Responses.Count - 1; t >= 0; t--)
        {
            FetchResponseData.FetchableTopicResponse topic = response.Responses[t];
            for (int p = topic.Partitions.Count - 1; p >= 0; p--)
            {
                FetchResponseData.PartitionData data = topic.Partitions[p];
                var key = new FetchSessionKey(topic.Topic, topic.TopicId, data.PartitionIndex);
                if (!_partitions.TryGetValue(key, out CachedFetchPartition? cached))
                {
                    continue;
                }

                if (cached.Update(data))
                {
                    (answered ??= []).Add(key);
                }
                else if (incremental)
                {
                    topic.Partitions.RemoveAt(p);
                }
            }

            if (incremental && topic.Partitions.Count == 0)
            {
                response.Responses.RemoveAt(t);
            }
        }

        if (!incremental || answered is null)
        {
            return;
        }

        // Collected back to front; re-adding in reverse keeps the answered ones in their old relative order.
        for (int i = answered.Count - 1; i >= 0; i--)
        {
            FetchSessionKey key = answered[i];
            if (_partitions.Remove(key, out CachedFetchPartition? cached))
            {
                _partitions.Add(key, cached);
            }
        }
    }
}
