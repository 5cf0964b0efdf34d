using Samsa.Broker.Fetching;
using Samsa.Broker.Metadata;
using Samsa.Broker.Partitions;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage.Log;

namespace Samsa.Broker.Handlers;

/// <summary>
/// Fetch (1): returns stored batches as they are, up to the high watermark for consumers, within
/// the request's byte limits (always at least one whole batch of the first partition with data,
/// KIP-74). When less than <c>MinBytes</c> is available it waits, up to <c>MaxWaitMs</c>, for any of
/// the partitions to change. From v7 clients may use incremental fetch sessions (KIP-227, kept in
/// the <see cref="FetchSessionCache"/>): a session's requests list only changed partitions and
/// its responses only partitions with something new. Epoch -1 fetches are sessionless and
/// answered in full with session id 0.
/// <para>
/// A fetch with a replica id (ReplicaId before v15, ReplicaState from v15) comes from a follower:
/// it reads up to the leader's log end instead of the high watermark, whatever the isolation
/// level, and its fetch offset is that follower's progress, recorded once per request (which may
/// move the high watermark and the ISR).
/// </para>
/// </summary>
internal sealed class FetchHandler(LocalPartitions partitions, MetadataCache metadata, TimeProvider time, FetchSessionCache sessions) : RequestHandler<FetchRequestData, FetchResponseData>
{
    public override ApiKey ApiKey => ApiKey.Fetch;

    public override short MinVersion => 4;

    public override short MaxVersion => 16;

    /// <summary>Test seam: called with a partition's log between its read and the copy of what it found (a disk failing there).</summary>
    internal Action<PartitionLog>? CopyStarting { get; set; }

    /// <summary>Test seam: called each time a parked fetch is woken by a change signal, before it reads again.</summary>
    internal Action? Woken { get; set; }

    protected override async ValueTask<FetchResponseData?> HandleAsync(RequestContext context, FetchRequestData request, CancellationToken cancellationToken)
    {
        FetchSessionStart session = sessions.Begin(request, context.ApiVersion >= 13);
        if (session.Error != ErrorCode.None)
        {
            return new FetchResponseData { ErrorCode = (short)session.Error, SessionId = FetchSessionCache.NoSession };
        }

        IReadOnlyList<FetchRequestData.FetchTopic> topics = request.Topics;
        if (session.Incremental)
        {
            lock (session.Session!.Lock)
            {
                topics = session.Session.ToTopics();
            }
        }

        FetchResponseData response = await FetchAsync(context, request, topics, cancellationToken).ConfigureAwait(false);
        if (session.Session is { } open)
        {
            lock (open.Lock)
            {
                open.Update(response, session.Incremental);
            }

            response.SessionId = open.Id;
        }

        return response;
    }

    private async ValueTask<FetchResponseData> FetchAsync(RequestContext context, FetchRequestData request, IReadOnlyList<FetchRequestData.FetchTopic> topics, CancellationToken cancellationToken)
    {
        FetchResponseData response = ReadAll(context, request, topics, recordFollowerProgress: true, out int bytes, out List<Task>? changes);
        if (bytes >= request.MinBytes || request.MaxWaitMs <= 0 || changes is null)
        {
            return response;
        }

        // Long poll: park until one of the partitions changes or the wait is over, then read again.
        // The change signals were taken before the reads (see ReadAll), so an append that lands
        // between a read and this wait still wakes it at once instead of after MaxWaitMs.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(request.MaxWaitMs), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, context.Draining, cancellationToken);
        while (true)
        {
            try
            {
                await Task.WhenAny(changes).WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Out of time, or the broker is shutting down: answer with whatever there is now.
                context.ReturnResponseBuffers();
                return ReadAll(context, request, topics, recordFollowerProgress: false, out _, out _);
            }

            Woken?.Invoke();
            context.ReturnResponseBuffers();
            response = ReadAll(context, request, topics, recordFollowerProgress: false, out bytes, out changes);
            if (bytes >= request.MinBytes || changes is null)
            {
                return response;
            }
        }
    }

    private FetchResponseData ReadAll(RequestContext context, FetchRequestData request, IReadOnlyList<FetchRequestData.FetchTopic> topics, bool recordFollowerProgress, out int totalBytes, out List<Task>? changes)
    {
        bool byId = context.ApiVersion >= 13;
        int replicaId = context.ApiVersion >= 15 ? request.ReplicaState.ReplicaId : request.ReplicaId;
        bool fromFollower = replicaId >= 0;
        MetadataCache.Snapshot snapshot = metadata.Current;
        var response = new FetchResponseData { SessionId = 0 };
        int remaining = request.MaxBytes;
        totalBytes = 0;
        changes = null;
        foreach (FetchRequestData.FetchTopic topic in topics)
        {
            string? name = byId ? snapshot.Topic(topic.TopicId)?.Name : topic.Topic;
            var topicResponse = new FetchResponseData.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            response.Responses.Add(topicResponse);
            foreach (FetchRequestData.FetchPartition fetch in topic.Partitions)
            {
                var result = new FetchResponseData.PartitionData
                {
                    PartitionIndex = fetch.Partition,
                    HighWatermark = -1,
                    LastStableOffset = -1,
                    LogStartOffset = -1,
                    // Never null, also with an error: librdkafka fails the whole response on a null
                    // record set ("invalid MessageSetSize -1") and so never sees NOT_LEADER_OR_FOLLOWER;
                    // Kafka sends empty records (found by the cluster chaos loop).
                    Records = ReadOnlyMemory<byte>.Empty,
                };
                topicResponse.Partitions.Add(result);
                if (name is null)
                {
                    result.ErrorCode = (short)(byId ? ErrorCode.UnknownTopicId : ErrorCode.UnknownTopicOrPartition);
                    continue;
                }

                if (partitions.IsOffline(name, fetch.Partition))
                {
                    result.ErrorCode = (short)ErrorCode.KafkaStorageError; // an offline replica (disk fault), as Kafka answers
                    continue;
                }

                Partition? partition = partitions.Get(name, fetch.Partition);
                if (partition is null || !partition.IsLeader)
                {
                    result.ErrorCode = (short)snapshot.NotLeaderError(name, fetch.Partition);
                    if (partition is not null)
                    {
                        result.CurrentLeader = new FetchResponseData.LeaderIdAndEpoch { LeaderId = partition.LeaderId, LeaderEpoch = partition.LeaderEpoch };
                    }

                    continue;
                }

                ErrorCode epochError = partition.CheckLeaderEpoch(fetch.CurrentLeaderEpoch);
                if (epochError == ErrorCode.None && fromFollower && !partition.IsReplica(replicaId))
                {
                    // Kafka 3.5+ refuses a replica fetch from a broker outside the assignment this way.
                    epochError = ErrorCode.NotLeaderOrFollower;
                }

                // The log end before the high watermark: a follower reports its progress against it.
                long leaderEnd = fromFollower ? partition.LogEndOffset : -1;
                long logStart = partition.LogStartOffset;
                result.LogStartOffset = logStart;
                if (epochError != ErrorCode.None)
                {
                    result.ErrorCode = (short)epochError;
                    SetHighWatermark(result, partition.HighWatermark);
                    continue;
                }

                if (fromFollower && recordFollowerProgress && fetch.FetchOffset >= logStart && fetch.FetchOffset <= leaderEnd)
                {
                    // Recorded for every partition in range, even one this response has no room for.
                    ErrorCode progress = partition.UpdateFollowerFetchState(replicaId, fetch.FetchOffset, fetch.LogStartOffset, leaderEnd);
                    if (progress != ErrorCode.None)
                    {
                        result.ErrorCode = (short)progress;
                        SetHighWatermark(result, partition.HighWatermark);
                        continue;
                    }
                }

                // The change signal before what is read: a move of what this fetch reads up to (the
                // log end for a follower, the high watermark for a consumer) from here on completes
                // it, so a fetch parked on it cannot miss one (a lost wake-up would hold a follower,
                // and every acks=all produce waiting on it, for the whole MaxWaitMs). A follower is not
                // woken by high watermark moves: it would read nothing new and park again (it learns
                // the high watermark with its next records). Taken after the progress above.
                (changes ??= []).Add(fromFollower ? partition.WaitForLogEndChangeAsync() : partition.WaitForHighWatermarkChangeAsync());
                long highWatermark = partition.HighWatermark;
                long readLimit = fromFollower ? partition.LogEndOffset : highWatermark;
                SetHighWatermark(result, highWatermark);
                int limit = Math.Min(fetch.PartitionMaxBytes, remaining);
                bool minOneBatch = totalBytes == 0;
                if (limit <= 0 && !minOneBatch)
                {
                    continue;
                }

                LogReadInfo read = partition.Log.Read(fetch.FetchOffset, Math.Max(limit, 0), readLimit, minOneBatch);
                if (read.Status == LogReadStatus.OffsetOutOfRange)
                {
                    // Asking exactly for the read limit is "nothing new yet", not out of range.
                    if (fetch.FetchOffset != readLimit)
                    {
                        result.ErrorCode = (short)ErrorCode.OffsetOutOfRange;
                    }

                    continue;
                }

                if (read.Status != LogReadStatus.Success)
                {
                    result.ErrorCode = (short)(read.Status == LogReadStatus.LogClosed ? ErrorCode.NotLeaderOrFollower : ErrorCode.KafkaStorageError);
                    continue;
                }

                CopyStarting?.Invoke(partition.Log);
                int copied = CopyRecords(partition.Log, read, context, result);
                if (copied > 0)
                {
                    totalBytes += copied;
                    remaining -= copied;
                }
            }
        }

        return response;
    }

    /// <summary>
    /// Copies what <paramref name="read"/> found into a response buffer of <paramref name="context"/>
    /// and sets it as <paramref name="result"/>'s records; returns the bytes copied. The copy goes to
    /// the disk again after the read's header scan: an I/O error there takes the partition offline
    /// (as one in the read does) and answers KAFKA_STORAGE_ERROR for this partition alone, with no
    /// records, instead of failing the whole request; -1 then. Where the connection sends file
    /// ranges (<see cref="RequestContext.SendsFileRegions"/>), a range of 16 KiB or more is not
    /// copied at all: the records are the range of the segment file, which the connection hands to
    /// <c>sendfile</c>. An I/O error there can no longer be answered per partition (the response is
    /// on its way), so it takes the partition offline and closes the connection, as Kafka's
    /// <c>transferTo</c> failure does; the client's next fetch gets KAFKA_STORAGE_ERROR. The bytes
    /// are then read when the response is written, not now: a range truncated meanwhile fails the
    /// send (the connection closes), and one truncated and written again would go out with the new
    /// bytes, which the client's CRC check refuses; Kafka's zero-copy fetch has the same window.
    /// </summary>
    internal static int CopyRecords(PartitionLog log, in LogReadInfo read, RequestContext context, FetchResponseData.PartitionData result)
    {
        if (read.Length == 0)
        {
            result.Records = ReadOnlyMemory<byte>.Empty;
            return 0;
        }

        if (context.SendsFileRegions && read.Length >= PooledBufferWriter.MinReferencedLength && read.AcquireFile() is { } file)
        {
            // Zero-copy: the connection sends the range from the page cache with sendfile.
            var region = new FileRegion(file, read.Position, read.Length, log.ReportReadFailure);
            context.AddResponseRegion(region);
            result.Records = region.Memory;
            return read.Length;
        }

        byte[] buffer = context.RentResponseBuffer(read.Length);
        int copied = log.CopyRead(read, buffer);
        if (copied < 0)
        {
            result.ErrorCode = (short)ErrorCode.KafkaStorageError;
            result.Records = ReadOnlyMemory<byte>.Empty;
            return -1;
        }

        result.Records = buffer.AsMemory(0, copied);
        return copied;
    }

    private static void SetHighWatermark(FetchResponseData.PartitionData result, long highWatermark)
    {
        // No transactions yet: the last stable offset is the high watermark.
        result.HighWatermark = highWatermark;
        result.LastStableOffset = highWatermark;
    }
}
