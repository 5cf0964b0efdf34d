using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// Test scaffolding, not a broker: a loopback TCP server that speaks just enough Kafka, through our
/// generated message types, to lead a real client (Confluent.Kafka / librdkafka) through connecting,
/// producing and fetching, and that keeps a copy of every request frame the client sends. It plays
/// a one-broker cluster (node <see cref="NodeId"/>, itself) with one topic of one partition, which
/// it leads, and an in-memory list of the batches produced to it.
/// </summary>
/// <remarks>
/// Owned by one test. An accept loop and one loop per connection run on the thread pool until
/// <see cref="DisposeAsync"/> cancels them and waits for all of them; each connection answers its
/// requests strictly in order, as a broker does. Anything unexpected inside a loop (a frame our
/// codec cannot read or write, a bug here) is kept in <see cref="Faults"/> rather than thrown on a
/// thread nobody observes.
/// </remarks>
internal sealed class ScriptedKafkaServer : IAsyncDisposable
{
    public const int NodeId = 1;
    public const string TopicName = "golden-topic";
    public const int PartitionIndex = 0;
    public const string ClusterId = "samsa-golden-cluster";
    public static readonly Uuid TopicId = new(0x53616D7361476F6CL, 0x64656E546F706963L);

    private const string Host = "127.0.0.1";
    private const int LeaderEpoch = 0;
    private const int MaxFrameBytes = 16 * 1024 * 1024;

    /// <summary>A fetch with nothing to return waits at most this long (or the client's MaxWaitMs if
    /// shorter), so an idle consumer polls slowly without holding a test up.</summary>
    private const int MaxFetchWaitMs = 200;

    private const short UnsupportedVersion = 35;
    private const short UnknownTopicOrPartition = 3;
    private const short OffsetOutOfRange = 1;
    private const long EarliestTimestamp = -2;

    // RecordBatch v2 header offsets (see kafka-facts.md section 3).
    private const int BatchLengthOffset = 8;
    private const int BatchLastOffsetDeltaOffset = 23;
    private const int BatchLengthFieldEnd = 12;
    private const int BatchHeaderBytes = 61;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _acceptLoop;
    private readonly Lock _lock = new();

    // Guarded by _lock.
    private readonly List<Task> _connections = [];
    private readonly List<CapturedFrame> _captured = [];
    private readonly List<(Func<CapturedFrame, bool> Match, TaskCompletionSource<CapturedFrame> Done)> _waiters = [];
    private readonly List<(long BaseOffset, byte[] Batch)> _log = [];
    private readonly List<Exception> _faults = [];
    private readonly List<string> _unscripted = [];
    private long _nextOffset;

    private ScriptedKafkaServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = Task.Run(() => AcceptLoopAsync(_stopping.Token)); // off the test's thread, which blocks in the client's synchronous calls
    }

    /// <summary>Binds a free loopback port chosen by the OS and starts accepting.</summary>
    public static ScriptedKafkaServer Start() => new();

    public int Port { get; }

    public string BootstrapServers => $"{Host}:{Port}";

    public IReadOnlyList<CapturedFrame> Captured
    {
        get
        {
            lock (_lock)
            {
                return [.. _captured];
            }
        }
    }

    public IReadOnlyList<Exception> Faults
    {
        get
        {
            lock (_lock)
            {
                return [.. _faults];
            }
        }
    }

    /// <summary>Requests answered with an empty default response because no script covers them.</summary>
    public IReadOnlyList<string> Unscripted
    {
        get
        {
            lock (_lock)
            {
                return [.. _unscripted];
            }
        }
    }

    /// <summary>Completes with the first captured frame (past or future) that matches.</summary>
    public async Task<CapturedFrame> WaitForFrameAsync(Func<CapturedFrame, bool> match, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<CapturedFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            foreach (CapturedFrame frame in _captured)
            {
                if (match(frame))
                {
                    return frame;
                }
            }

            _waiters.Add((match, done));
        }

        using CancellationTokenRegistration registration = cancellationToken.Register(() => done.TrySetCanceled(cancellationToken));
        return await done.Task;
    }

    public Task<CapturedFrame> WaitForFrameAsync(ApiKey apiKey, CancellationToken cancellationToken) =>
        WaitForFrameAsync(frame => frame.ApiKey == apiKey, cancellationToken);

    public void AssertNoFaults()
    {
        IReadOnlyList<Exception> faults = Faults;
        Assert.True(faults.Count == 0, $"scripted server faults: {string.Join(" | ", faults)}");
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _acceptLoop;
        Task[] connections;
        lock (_lock)
        {
            connections = [.. _connections];
            foreach ((_, TaskCompletionSource<CapturedFrame> done) in _waiters)
            {
                done.TrySetCanceled();
            }

            _waiters.Clear();
        }

        await Task.WhenAll(connections);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            lock (_lock)
            {
                _connections.Add(ServeAsync(client, cancellationToken));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        using (client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                byte[] sizePrefix = new byte[Frame.SizePrefixLength];
                using var response = new PooledBufferWriter();
                while (!cancellationToken.IsCancellationRequested)
                {
                    await stream.ReadExactlyAsync(sizePrefix, cancellationToken);
                    if (Frame.TryReadSize(sizePrefix, MaxFrameBytes, out int size) != FrameStatus.Complete)
                    {
                        return;
                    }

                    byte[] frame = new byte[Frame.SizePrefixLength + size];
                    sizePrefix.CopyTo(frame, 0);
                    await stream.ReadExactlyAsync(frame.AsMemory(Frame.SizePrefixLength), cancellationToken);
                    Capture(frame);

                    response.Clear();
                    if (!await AnswerAsync(frame, response, cancellationToken))
                    {
                        return;
                    }

                    if (response.WrittenCount > 0)
                    {
                        await stream.WriteAsync(response.WrittenMemory, cancellationToken);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or EndOfStreamException or IOException or ObjectDisposedException)
            {
                // The client hung up or the test is over: the normal ends of a connection.
            }
#pragma warning disable CA1031 // Test scaffolding: a fault on this loop is reported through Faults, not lost.
            catch (Exception e)
#pragma warning restore CA1031
            {
                lock (_lock)
                {
                    _faults.Add(e);
                }
            }
        }
    }

    private void Capture(byte[] frame)
    {
        var apiKey = (ApiKey)BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(Frame.SizePrefixLength));
        short apiVersion = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(Frame.SizePrefixLength + 2));
        var captured = new CapturedFrame(apiKey, apiVersion, frame);
        lock (_lock)
        {
            _captured.Add(captured);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Match(captured))
                {
                    _waiters[i].Done.TrySetResult(captured);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Writes the response frame for one request (nothing for acks=0 produce); false means
    /// close the connection, which is what a broker does with a version it cannot read.</summary>
    private async ValueTask<bool> AnswerAsync(byte[] frame, PooledBufferWriter response, CancellationToken cancellationToken)
    {
        (RequestHeader header, IRequestData? request) = Parse(frame);
        if (request is null)
        {
            if (header.ApiKey != ApiKey.ApiVersions)
            {
                return false;
            }

            // KIP-511: a too-new ApiVersions gets a v0 answer naming the range we do support.
            var refusal = new ApiVersionsResponseData
            {
                ErrorCode = UnsupportedVersion,
                ApiKeys = [Advertise(ApiKey.ApiVersions)],
            };
            Frame.WriteResponse(response, header.CorrelationId, refusal, 0);
            return true;
        }

        IResponseData? answer = request switch
        {
            ApiVersionsRequestData => ApiVersions(),
            MetadataRequestData metadata => Metadata(metadata),
            ProduceRequestData produce => Produce(produce),
            FetchRequestData fetch => await FetchAsync(fetch, cancellationToken),
            ListOffsetsRequestData listOffsets => ListOffsets(listOffsets),
            OffsetForLeaderEpochRequestData offsetForLeaderEpoch => OffsetForLeaderEpoch(offsetForLeaderEpoch),
            FindCoordinatorRequestData findCoordinator => FindCoordinator(findCoordinator),
            InitProducerIdRequestData => new InitProducerIdResponseData { ProducerId = 1000, ProducerEpoch = 0 },
            _ => AnswerUnscripted(header),
        };

        if (answer is not null)
        {
            Frame.WriteResponse(response, header.CorrelationId, answer, header.ApiVersion);
        }

        return true;
    }

    private static (RequestHeader Header, IRequestData? Request) Parse(byte[] frame)
    {
        var reader = new ProtocolReader(frame.AsMemory(Frame.SizePrefixLength));
        var header = new RequestHeader();
        header.Read(ref reader);
        IRequestData? request = ApiMessageTable.CreateRequest(header.ApiKey);
        if (request is null
            || header.ApiVersion < ApiMessageTable.LowestVersion(header.ApiKey)
            || header.ApiVersion > ApiMessageTable.HighestVersion(header.ApiKey))
        {
            return (header, null);
        }

        request.Read(ref reader, header.ApiVersion);
        return (header, request);
    }

    private IResponseData? AnswerUnscripted(RequestHeader header)
    {
        lock (_lock)
        {
            _unscripted.Add($"{header.ApiKey} v{header.ApiVersion}");
        }

        return ApiMessageTable.CreateResponse(header.ApiKey);
    }

    private static ApiVersionsResponseData.ApiVersion Advertise(ApiKey key) => new()
    {
        ApiKey = (short)key,
        MinVersion = ApiMessageTable.LowestVersion(key),
        MaxVersion = ApiMessageTable.HighestVersion(key),
    };

    private static ApiVersionsResponseData ApiVersions()
    {
        var response = new ApiVersionsResponseData();
        foreach (short key in ApiMessageTable.Keys)
        {
            response.ApiKeys.Add(Advertise((ApiKey)key));
        }

        return response;
    }

    private MetadataResponseData Metadata(MetadataRequestData request)
    {
        var response = new MetadataResponseData
        {
            Brokers = [new() { NodeId = NodeId, Host = Host, Port = Port }],
            ClusterId = ClusterId,
            ControllerId = NodeId,
        };

        if (request.Topics is null)
        {
            response.Topics.Add(OurTopicMetadata());
            return response;
        }

        foreach (MetadataRequestData.MetadataRequestTopic topic in request.Topics)
        {
            response.Topics.Add(IsOurTopic(topic.Name, topic.TopicId)
                ? OurTopicMetadata()
                : new() { ErrorCode = UnknownTopicOrPartition, Name = topic.Name, TopicId = topic.TopicId });
        }

        return response;
    }

    private static MetadataResponseData.MetadataResponseTopic OurTopicMetadata() => new()
    {
        Name = TopicName,
        TopicId = TopicId,
        Partitions =
        [
            new()
            {
                PartitionIndex = PartitionIndex,
                LeaderId = NodeId,
                LeaderEpoch = LeaderEpoch,
                ReplicaNodes = [NodeId],
                IsrNodes = [NodeId],
            },
        ],
    };

    private ProduceResponseData? Produce(ProduceRequestData request)
    {
        var response = new ProduceResponseData();
        foreach (ProduceRequestData.TopicProduceData topic in request.TopicData)
        {
            var topicResponse = new ProduceResponseData.TopicProduceResponse { Name = topic.Name, TopicId = topic.TopicId };
            foreach (ProduceRequestData.PartitionProduceData partition in topic.PartitionData)
            {
                var partitionResponse = new ProduceResponseData.PartitionProduceResponse { Index = partition.Index };
                if (IsOurPartition(topic.Name, topic.TopicId, partition.Index) && partition.Records is { Length: > 0 } records)
                {
                    partitionResponse.BaseOffset = Append(records.Span);
                    partitionResponse.LogStartOffset = 0;
                }
                else
                {
                    partitionResponse.ErrorCode = UnknownTopicOrPartition;
                }

                topicResponse.PartitionResponses.Add(partitionResponse);
            }

            response.Responses.Add(topicResponse);
        }

        return request.Acks == 0 ? null : response;
    }

    /// <summary>Stores each batch of a produced records blob with its base offset assigned, as a
    /// leader does in place; returns the first offset assigned.</summary>
    private long Append(ReadOnlySpan<byte> records)
    {
        lock (_lock)
        {
            long first = _nextOffset;
            while (records.Length >= BatchHeaderBytes)
            {
                int batchBytes = BatchLengthFieldEnd + BinaryPrimitives.ReadInt32BigEndian(records[BatchLengthOffset..]);
                byte[] batch = records[..batchBytes].ToArray();
                int count = BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(BatchLastOffsetDeltaOffset)) + 1;
                BinaryPrimitives.WriteInt64BigEndian(batch, _nextOffset);
                _log.Add((_nextOffset, batch));
                _nextOffset += count;
                records = records[batchBytes..];
            }

            return first;
        }
    }

    private async ValueTask<FetchResponseData> FetchAsync(FetchRequestData request, CancellationToken cancellationToken)
    {
        if (!HasDataFor(request))
        {
            // Long poll, bounded: an idle consumer's next fetch comes after this, not in a tight loop.
            await Task.Delay(Math.Clamp(request.MaxWaitMs, 0, MaxFetchWaitMs), cancellationToken);
        }

        var response = new FetchResponseData();
        foreach (FetchRequestData.FetchTopic topic in request.Topics)
        {
            var topicResponse = new FetchResponseData.FetchableTopicResponse { Topic = topic.Topic, TopicId = topic.TopicId };
            foreach (FetchRequestData.FetchPartition partition in topic.Partitions)
            {
                topicResponse.Partitions.Add(FetchPartition(topic, partition));
            }

            response.Responses.Add(topicResponse);
        }

        return response;
    }

    private bool HasDataFor(FetchRequestData request)
    {
        lock (_lock)
        {
            foreach (FetchRequestData.FetchTopic topic in request.Topics)
            {
                foreach (FetchRequestData.FetchPartition partition in topic.Partitions)
                {
                    if (IsOurPartition(topic.Topic, topic.TopicId, partition.Partition) && partition.FetchOffset < _nextOffset)
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }

    private FetchResponseData.PartitionData FetchPartition(FetchRequestData.FetchTopic topic, FetchRequestData.FetchPartition partition)
    {
        var data = new FetchResponseData.PartitionData { PartitionIndex = partition.Partition };
        if (!IsOurPartition(topic.Topic, topic.TopicId, partition.Partition))
        {
            data.ErrorCode = UnknownTopicOrPartition;
            return data;
        }

        lock (_lock)
        {
            data.HighWatermark = _nextOffset;
            data.LastStableOffset = _nextOffset;
            data.LogStartOffset = 0;
            if (partition.FetchOffset < 0 || partition.FetchOffset > _nextOffset)
            {
                data.ErrorCode = OffsetOutOfRange;
                return data;
            }

            using var records = new PooledBufferWriter();
            foreach ((long baseOffset, byte[] batch) in _log)
            {
                long lastOffset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(batch.AsSpan(BatchLastOffsetDeltaOffset));
                if (lastOffset >= partition.FetchOffset)
                {
                    batch.CopyTo(records.GetSpan(batch.Length));
                    records.Advance(batch.Length);
                }
            }

            data.Records = records.ToArray();
            return data;
        }
    }

    private ListOffsetsResponseData ListOffsets(ListOffsetsRequestData request)
    {
        var response = new ListOffsetsResponseData();
        foreach (ListOffsetsRequestData.ListOffsetsTopic topic in request.Topics)
        {
            var topicResponse = new ListOffsetsResponseData.ListOffsetsTopicResponse { Name = topic.Name };
            foreach (ListOffsetsRequestData.ListOffsetsPartition partition in topic.Partitions)
            {
                var partitionResponse = new ListOffsetsResponseData.ListOffsetsPartitionResponse { PartitionIndex = partition.PartitionIndex };
                if (IsOurPartition(topic.Name, Uuid.Zero, partition.PartitionIndex))
                {
                    lock (_lock)
                    {
                        partitionResponse.Offset = partition.Timestamp == EarliestTimestamp ? 0 : _nextOffset;
                    }

                    partitionResponse.LeaderEpoch = LeaderEpoch;
                }
                else
                {
                    partitionResponse.ErrorCode = UnknownTopicOrPartition;
                }

                topicResponse.Partitions.Add(partitionResponse);
            }

            response.Topics.Add(topicResponse);
        }

        return response;
    }

    private OffsetForLeaderEpochResponseData OffsetForLeaderEpoch(OffsetForLeaderEpochRequestData request)
    {
        var response = new OffsetForLeaderEpochResponseData();
        foreach (OffsetForLeaderEpochRequestData.OffsetForLeaderTopic topic in request.Topics)
        {
            var topicResponse = new OffsetForLeaderEpochResponseData.OffsetForLeaderTopicResult { Topic = topic.Topic };
            foreach (OffsetForLeaderEpochRequestData.OffsetForLeaderPartition partition in topic.Partitions)
            {
                var partitionResponse = new OffsetForLeaderEpochResponseData.OffsetForLeaderPartitionResult { Partition = partition.Partition };
                if (IsOurPartition(topic.Topic, Uuid.Zero, partition.Partition))
                {
                    partitionResponse.LeaderEpoch = LeaderEpoch;
                    lock (_lock)
                    {
                        partitionResponse.EndOffset = _nextOffset;
                    }
                }
                else
                {
                    partitionResponse.ErrorCode = UnknownTopicOrPartition;
                }

                topicResponse.Partitions.Add(partitionResponse);
            }

            response.Topics.Add(topicResponse);
        }

        return response;
    }

    /// <summary>Every group and transaction is coordinated here; v0-3 read the top-level fields,
    /// v4+ the per-key list, and the generated writer picks whichever the version has.</summary>
    private FindCoordinatorResponseData FindCoordinator(FindCoordinatorRequestData request)
    {
        var response = new FindCoordinatorResponseData { NodeId = NodeId, Host = Host, Port = Port, ErrorMessage = null };
        foreach (string key in request.CoordinatorKeys)
        {
            response.Coordinators.Add(new() { Key = key, NodeId = NodeId, Host = Host, Port = Port, ErrorMessage = null });
        }

        return response;
    }

    private static bool IsOurTopic(string? name, Uuid topicId) =>
        name == TopicName || topicId == TopicId;

    private static bool IsOurPartition(string? name, Uuid topicId, int partition) =>
        IsOurTopic(name, topicId) && partition == PartitionIndex;
}
