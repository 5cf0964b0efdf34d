using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Samsa.Broker.Partitions;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;
using Samsa.Storage;

namespace Samsa.Broker.Replication;

/// <summary>
/// Sends the partition leaders' ISR proposals to the controller (Kafka's AlterPartitionManager):
/// one AlterPartition in flight at a time carrying every proposal queued meanwhile; answers go
/// back to each partition, and proposals that hit a transient failure (controller unreachable,
/// NOT_CONTROLLER, a per-partition retriable error) are sent again after a pause, as long as the
/// partition still waits for them.
/// </summary>
internal sealed partial class AlterPartitionSender : IIsrChangeSubmitter, IAsyncDisposable
{
    private readonly int _brokerId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _retryBackoff;
    private readonly Channel<IsrChangeProposal> _queue = Channel.CreateUnbounded<IsrChangeProposal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private IAlterPartitionChannel? _channel;
    private Task _loop = Task.CompletedTask;

    public AlterPartitionSender(int brokerId, TimeProvider time, ILogger logger, TimeSpan retryBackoff)
    {
        _brokerId = brokerId;
        _time = time;
        _logger = logger;
        _retryBackoff = retryBackoff;
    }

    /// <summary>Starts sending through <paramref name="channel"/> (known only once the controller side exists).</summary>
    public void Start(IAlterPartitionChannel? channel)
    {
        _channel = channel;
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
    }

    public void Submit(IsrChangeProposal proposal) => _queue.Writer.TryWrite(proposal);

    private async Task RunAsync(CancellationToken stopping)
    {
        var batch = new List<IsrChangeProposal>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                batch.Clear();
                while (_queue.Reader.TryRead(out IsrChangeProposal? proposal))
                {
                    // Superseded proposals (a LeaderAndIsr replaced the state) are not sent.
                    if (ReferenceEquals(proposal.Partition.PendingIsrChange, proposal))
                    {
                        batch.Add(proposal);
                    }
                }

                if (batch.Count > 0)
                {
                    await SendAsync(batch, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private async Task SendAsync(List<IsrChangeProposal> batch, CancellationToken stopping)
    {
        AlterPartitionRequestData request = BuildRequest(batch);
        AlterPartitionResponseData? response = null;
        IAlterPartitionChannel? channel = _channel;
        if (channel is null)
        {
            LogNoChannel(_logger, _brokerId, batch.Count);
        }
        else
        {
            try
            {
                response = await channel.SendAsync(request, stopping).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                // The loop must outlive any one failure, a cancellation that is not its own stop
                // included (an in-process controller that is stopping cancels with its own token):
                // the proposals wait for an answer.
                LogSendFailed(_logger, _brokerId, e.Message);
            }
        }

        if (response is not null && response.ErrorCode != 0)
        {
            LogRequestRefused(_logger, _brokerId, (ErrorCode)response.ErrorCode);
            response = null;
        }

        var retry = new List<IsrChangeProposal>();
        if (response is null)
        {
            retry.AddRange(batch);
        }
        else
        {
            foreach (IsrChangeProposal proposal in batch)
            {
                AlterPartitionResponseData.PartitionData? answer = Find(response, proposal.Partition);
                if (answer is null)
                {
                    retry.Add(proposal);
                    continue;
                }

                var error = (ErrorCode)answer.ErrorCode;
                IsrChangeOutcome outcome = proposal.Partition.CompleteIsrChange(proposal, error, answer.LeaderEpoch, answer.PartitionEpoch, [.. answer.Isr]);
                if (outcome == IsrChangeOutcome.Retry)
                {
                    retry.Add(proposal);
                }
                else if (error != ErrorCode.None)
                {
                    LogProposalRefused(_logger, _brokerId, proposal.Partition.Id, error, outcome);
                }
            }
        }

        if (retry.Count > 0)
        {
            await Task.Delay(_retryBackoff, _time, stopping).ConfigureAwait(false);
            foreach (IsrChangeProposal proposal in retry)
            {
                _queue.Writer.TryWrite(proposal);
            }
        }
    }

    private AlterPartitionRequestData BuildRequest(List<IsrChangeProposal> batch)
    {
        var request = new AlterPartitionRequestData { BrokerId = _brokerId, BrokerEpoch = -1 };
        var topics = new Dictionary<string, AlterPartitionRequestData.TopicData>(StringComparer.Ordinal);
        foreach (IsrChangeProposal proposal in batch)
        {
            Partition partition = proposal.Partition;
            if (!topics.TryGetValue(partition.Id.Topic, out AlterPartitionRequestData.TopicData? topic))
            {
                topic = new AlterPartitionRequestData.TopicData { TopicName = partition.Id.Topic, TopicId = partition.TopicId };
                topics.Add(partition.Id.Topic, topic);
                request.Topics.Add(topic);
            }

            // Both ISR encodings are filled: the channel picks the version, and each version writes its own field.
            var data = new AlterPartitionRequestData.PartitionData
            {
                PartitionIndex = partition.Id.Partition,
                LeaderEpoch = proposal.LeaderEpoch,
                PartitionEpoch = proposal.PartitionEpoch,
                NewIsr = [.. proposal.NewIsr],
            };
            foreach (int broker in proposal.NewIsr)
            {
                data.NewIsrWithEpochs.Add(new AlterPartitionRequestData.BrokerState { BrokerId = broker, BrokerEpoch = -1 });
            }

            topic.Partitions.Add(data);
        }

        return request;
    }

    private static AlterPartitionResponseData.PartitionData? Find(AlterPartitionResponseData response, Partition partition)
    {
        foreach (AlterPartitionResponseData.TopicData topic in response.Topics)
        {
            bool sameTopic = string.Equals(topic.TopicName, partition.Id.Topic, StringComparison.Ordinal)
                || (!topic.TopicId.IsZero && topic.TopicId == partition.TopicId);
            if (!sameTopic)
            {
                continue;
            }

            foreach (AlterPartitionResponseData.PartitionData data in topic.Partitions)
            {
                if (data.PartitionIndex == partition.Id.Partition)
                {
                    return data;
                }
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "[Broker id={BrokerId}] No AlterPartition channel yet; {Count} ISR proposals wait")]
    private static partial void LogNoChannel(ILogger logger, int brokerId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[Broker id={BrokerId}] AlterPartition failed, will retry: {Reason}")]
    private static partial void LogSendFailed(ILogger logger, int brokerId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "[Broker id={BrokerId}] AlterPartition refused, will retry: {Error}")]
    private static partial void LogRequestRefused(ILogger logger, int brokerId, ErrorCode error);

    [LoggerMessage(Level = LogLevel.Information, Message = "[Broker id={BrokerId}] ISR change of {Partition} refused with {Error}: {Outcome}")]
    private static partial void LogProposalRefused(ILogger logger, int brokerId, TopicPartition partition, ErrorCode error, IsrChangeOutcome outcome);
}
