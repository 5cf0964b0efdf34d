using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Controller;

/// <summary>
/// Replicas whose log went offline on a live broker (Kafka's log-dir failure handling, ZooKeeper
/// mode). The controller learns of them from LeaderAndIsr answers: a replica answering
/// KAFKA_STORAGE_ERROR is offline, one answering NONE is online again. A broker whose replica fails
/// at run time writes /log_dir_event_notification/log_dir_event_&lt;seq&gt;; the controller then asks
/// that broker about all its replicas. A replica newly known offline may not lead or be in an ISR:
/// partitions it led get another leader from the rest of the ISR (or an unclean one where the
/// topic allows it), it leaves the ISRs, every broker's metadata lists it in offline_replicas, and
/// its broker gets StopReplica (keeping the files). It stays offline until its broker answers NONE
/// for it or registers again (a restart), as in Kafka.
/// </summary>
internal sealed partial class KafkaController
{
    // Per broker, the replicas known offline (Kafka's replicasOnOfflineDirs). Controller loop only;
    // rebuilt from answers after every election.
    private readonly Dictionary<int, HashSet<(string Topic, int Partition)>> _offlineReplicas = [];

    /// <summary>Pause before handling an offline replica or a log-dir event again after the store failed.</summary>
    internal static readonly TimeSpan StoreRetryBackoff = TimeSpan.FromMilliseconds(500);

    // What of a run of refused retries is logged: the first, one line per interval, the recovery.
    // Per broker: two brokers' elections may fail and recover at different times.
    private readonly Dictionary<int, RetriedFailureLog> _offlineElectionFailures = [];
    private readonly Dictionary<int, RetriedFailureLog> _onlineElectionFailures = [];
    private RetriedFailureLog? _logDirEventFailures;

    private RetriedFailureLog OfflineElectionFailures(int brokerId) => FailureLogOf(_offlineElectionFailures, brokerId);

    private RetriedFailureLog OnlineElectionFailures(int brokerId) => FailureLogOf(_onlineElectionFailures, brokerId);

    private RetriedFailureLog LogDirEventFailures => _logDirEventFailures ??= new(_time, RetriedFailureLog.DefaultInterval);

    /// <summary>A replica that may lead or be in the ISR: its broker is eligible and its log is not known offline.</summary>
    private bool IsReplicaOnline(int brokerId, string topic, int partition) =>
        IsEligible(brokerId) && !IsOnOfflineLog(brokerId, topic, partition);

    private bool IsOnOfflineLog(int brokerId, string topic, int partition) =>
        _offlineReplicas.TryGetValue(brokerId, out HashSet<(string, int)>? offline) && offline.Contains((topic, partition));

    /// <summary>The answer arrives on a sender's loop (or inside a send on ours): handled in turn on the controller loop.</summary>
    private void OnLeaderAndIsrAnswered(LeaderAndIsrAnswer answer) =>
        _loop.Post(() => OnLeaderAndIsrAnsweredAsync(answer, CancellationToken.None));

    private async Task OnLeaderAndIsrAnsweredAsync(LeaderAndIsrAnswer answer, CancellationToken cancellationToken)
    {
        // An answer from an earlier registration of the broker says nothing about its replicas now:
        // they were forgotten when it registered again and are being asked about anew.
        if (!_isActive
            || answer.Response.ErrorCode != (short)ErrorCode.None
            || !_liveBrokers.TryGetValue(answer.BrokerId, out BrokerRegistration? registration)
            || (answer.BrokerEpoch != -1 && answer.BrokerEpoch != registration.BrokerEpoch))
        {
            return;
        }

        _offlineReplicas.TryGetValue(answer.BrokerId, out HashSet<(string, int)>? offline);
        var storageErrors = new List<(string Topic, int Partition)>();
        var newlyOffline = new HashSet<(string Topic, int Partition)>();
        List<(string Topic, int Partition)>? backOnline = null;
        foreach ((string topic, int partition, short error) in PartitionErrors(answer.Response))
        {
            if (error == (short)ErrorCode.None)
            {
                if (offline is not null && offline.Remove((topic, partition)))
                {
                    (backOnline ??= []).Add((topic, partition));
                }
            }
            else if (error == (short)ErrorCode.KafkaStorageError)
            {
                offline ??= _offlineReplicas[answer.BrokerId] = [];
                storageErrors.Add((topic, partition));
                if (offline.Add((topic, partition)))
                {
                    newlyOffline.Add((topic, partition));
                }
            }
        }

        if (offline is { Count: 0 })
        {
            _offlineReplicas.Remove(answer.BrokerId);
        }

        if (newlyOffline.Count > 0)
        {
            LogReplicasOffline(_logger, answer.BrokerId, Describe([.. newlyOffline]));
        }

        // Every answer's offline replicas are acted on, not only new ones: an election that failed
        // earlier (the store unreachable) is finished by the next answer; where nothing is left to
        // do, re-electing changes nothing and nothing is sent.
        if (storageErrors.Count > 0)
        {
            await OnReplicasOfflineAsync(answer.BrokerId, storageErrors, newlyOffline, resend: false, cancellationToken).ConfigureAwait(false);
        }

        if (backOnline is not null)
        {
            string described = Describe(backOnline);
            LogReplicasOnline(_logger, answer.BrokerId, described);

            await OnReplicasOnlineAsync(answer.BrokerId, backOnline, resend: false, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Replicas whose log is back (their broker answered NONE without a restart, e.g. a replica a
    /// full disk could not create): a partition that has had no leader since they went offline
    /// elects again (they may be all its ISR), and every broker is told at once that they are no
    /// longer offline, not only at the topic's next UpdateMetadata. Kafka's ZooKeeper-mode
    /// controller forgets offline replicas only when their broker restarts. When the store fails
    /// part-way, the rest is tried again after a pause, as for offline replicas.
    /// </summary>
    /// <param name="resend">A retry: a write whose ConnectionLoss hid that it was applied reads back
    /// as done, so leadership goes out for every partition retried, elected now or before.</param>
    private async Task OnReplicasOnlineAsync(int brokerId, List<(string Topic, int Partition)> replicas, bool resend, CancellationToken cancellationToken)
    {
        var changed = new List<(string Topic, int Partition)>();
        List<(string Topic, int Partition)>? unfinished = null;
        try
        {
            for (int i = 0; i < replicas.Count; i++)
            {
                (string topic, int partition) = replicas[i];
                if (!TryGetPartition(topic, partition, out int[]? assigned, out PartitionLeadership? current))
                {
                    continue;
                }

                bool written = false;
                if (!IsReplicaOnline(current.State.Leader, topic, partition))
                {
                    try
                    {
                        PartitionStateZNode? next = await ReelectWithOnlineReplicasAsync(topic, partition, current, assigned, cancellationToken).ConfigureAwait(false);
                        written = next is not null && next.Leader != PartitionStateZNode.NoLeader && await WritePartitionStateAsync(topic, partition, next, cancellationToken).ConfigureAwait(false);
                    }
                    catch (CoordinationException e) when (_isActive)
                    {
                        if (OnlineElectionFailures(brokerId).Failed(out int failures))
                        {
                            LogOnlineElectionFailed(_logger, brokerId, failures, e.Message);
                        }

                        unfinished = replicas.GetRange(i, replicas.Count - i);
                        break;
                    }
                }

                if (written || resend)
                {
                    changed.Add((topic, partition));
                }
            }
        }
        finally
        {
            // Also when an election failed (the store refused it): offline_replicas changed all the same.
            await SendAsync(changed, TopicsOf(replicas), cancellationToken).ConfigureAwait(false);
        }

        if (unfinished is not null)
        {
            PostAfterPause(() => OnReplicasOnlineAsync(brokerId, unfinished, resend: true, CancellationToken.None));
        }
        else if ((resend || changed.Count > 0) && OnlineElectionFailures(brokerId).Succeeded() is int failed and > 0)
        {
            LogOnlineElectionRecovered(_logger, brokerId, failed);
        }
    }

    /// <summary>The partition's assignment and current leadership, when the controller knows both (false: a deleted topic's).</summary>
    private bool TryGetPartition(string topic, int partition, [NotNullWhen(true)] out int[]? assigned, [NotNullWhen(true)] out PartitionLeadership? current)
    {
        current = null;
        assigned = null;
        return _topics.TryGetValue(topic, out TopicInfo? info)
            && info.Partitions.TryGetValue(partition, out assigned)
            && _partitions.TryGetValue((topic, partition), out current);
    }

    /// <summary>An election among the replicas that may lead: eligible brokers whose log for the partition is not offline.</summary>
    private Task<PartitionStateZNode?> ReelectWithOnlineReplicasAsync(string topic, int partition, PartitionLeadership current, int[] assigned, CancellationToken cancellationToken) =>
        ReelectAsync(topic, current.State, assigned, id => IsReplicaOnline(id, topic, partition), cancellationToken);

    private RetriedFailureLog FailureLogOf(Dictionary<int, RetriedFailureLog> logs, int brokerId)
    {
        if (!logs.TryGetValue(brokerId, out RetriedFailureLog? log))
        {
            log = logs[brokerId] = new RetriedFailureLog(_time, RetriedFailureLog.DefaultInterval);
        }

        return log;
    }

    /// <summary>The (topic, partition, error) triples of an answer; v5+ answers name topics by id only.</summary>
    private List<(string Topic, int Partition, short Error)> PartitionErrors(LeaderAndIsrResponseData response)
    {
        var errors = new List<(string, int, short)>();
        Dictionary<Uuid, string>? names = null;
        foreach (LeaderAndIsrResponseData.LeaderAndIsrTopicError topic in response.Topics)
        {
            string? name = null;
            if (!topic.TopicId.IsZero)
            {
                names ??= TopicNamesById();
                names.TryGetValue(topic.TopicId, out name);
            }

            foreach (LeaderAndIsrResponseData.LeaderAndIsrPartitionError partition in topic.PartitionErrors)
            {
                // An id we do not know is a deleted topic's: its name may belong to a topic created
                // again since, whose replica this answer is not about. The name counts only without an id.
                string? topicName = topic.TopicId.IsZero
                    ? (string.IsNullOrEmpty(partition.TopicName) ? null : partition.TopicName)
                    : name;
                if (topicName is not null)
                {
                    errors.Add((topicName, partition.PartitionIndex, partition.ErrorCode));
                }
            }
        }

        foreach (LeaderAndIsrResponseData.LeaderAndIsrPartitionError partition in response.PartitionErrors)
        {
            if (!string.IsNullOrEmpty(partition.TopicName))
            {
                errors.Add((partition.TopicName, partition.PartitionIndex, partition.ErrorCode));
            }
        }

        return errors;
    }

    private Dictionary<Uuid, string> TopicNamesById()
    {
        var names = new Dictionary<Uuid, string>(_topics.Count);
        foreach (TopicInfo topic in _topics.Values)
        {
            names[topic.TopicId] = topic.Name;
        }

        return names;
    }

    /// <summary>
    /// Offline replicas of one broker: their partitions are re-elected without them (a leader among
    /// them is replaced by the first online ISR member, or per the unclean rule), every broker hears
    /// the new leaders and, for <paramref name="untold"/> ones, the offline replicas, and the broker
    /// stops serving and fetching them. When the store fails part-way (connection loss), what was
    /// written is still sent, and the rest is tried again after a pause while this broker is still
    /// the controller: a repeated answer may never come. The first failure of a run is logged, then
    /// one line per 30 s with the count, and one when it succeeds (<see cref="RetriedFailureLog"/>).
    /// </summary>
    /// <param name="resend">A retry: a write whose ConnectionLoss hid that it was applied reads
    /// back as nothing to do, so leadership goes out for every partition, changed or not.</param>
    private async Task OnReplicasOfflineAsync(int brokerId, List<(string Topic, int Partition)> replicas, HashSet<(string Topic, int Partition)> untold, bool resend, CancellationToken cancellationToken)
    {
        var changed = new List<(string, int)>();
        var told = new List<(string Topic, int Partition)>(replicas.Count);
        List<(string Topic, int Partition)>? unfinished = null;
        for (int i = 0; i < replicas.Count; i++)
        {
            (string topic, int partition) = replicas[i];
            if (!TryGetPartition(topic, partition, out int[]? assigned, out PartitionLeadership? current))
            {
                continue;
            }

            bool written = false;
            try
            {
                PartitionStateZNode? next = await ReelectWithOnlineReplicasAsync(topic, partition, current, assigned, cancellationToken).ConfigureAwait(false);
                written = next is not null && await WritePartitionStateAsync(topic, partition, next, cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (_isActive)
            {
                if (OfflineElectionFailures(brokerId).Failed(out int failures))
                {
                    if (failures == 1)
                    {
                        LogOfflineElectionFailed(_logger, brokerId, e.Message);
                    }
                    else
                    {
                        LogOfflineElectionStillFailing(_logger, brokerId, failures, e.Message);
                    }
                }

                unfinished = replicas.GetRange(i, replicas.Count - i);
                break;
            }

            if (written)
            {
                changed.Add((topic, partition));
            }

            if (written || resend || untold.Contains((topic, partition)))
            {
                told.Add((topic, partition));
            }
        }

        if (told.Count > 0)
        {
            // UpdateMetadata goes out even when no leader or ISR changed: offline_replicas did.
            await SendAsync(resend ? told : changed, TopicsOf(told), cancellationToken).ConfigureAwait(false);
            await SendStopReplicaAsync(brokerId, told, cancellationToken).ConfigureAwait(false);
        }

        if (unfinished is null)
        {
            // Only a write (or a retry, whose writes may read back as done) shows the store takes them again.
            int failed = resend || changed.Count > 0 ? OfflineElectionFailures(brokerId).Succeeded() : 0;
            if (failed > 0)
            {
                LogOfflineElectionRecovered(_logger, brokerId, failed);
            }
        }
        else if (_liveBrokers.TryGetValue(brokerId, out BrokerRegistration? registration))
        {
            long brokerEpoch = registration.BrokerEpoch;
            PostAfterPause(() => RetryReplicasOfflineAsync(brokerId, brokerEpoch, unfinished, CancellationToken.None));
        }
        else
        {
            OfflineElectionFailures(brokerId).Abandon();
        }
    }

    /// <summary>The unfinished part of an earlier attempt, for replicas still known offline on the same registration.</summary>
    private async Task RetryReplicasOfflineAsync(int brokerId, long brokerEpoch, List<(string Topic, int Partition)> replicas, CancellationToken cancellationToken)
    {
        if (!_isActive || !_liveBrokers.TryGetValue(brokerId, out BrokerRegistration? registration) || registration.BrokerEpoch != brokerEpoch)
        {
            OfflineElectionFailures(brokerId).Abandon();
            return;
        }

        var still = new List<(string Topic, int Partition)>(replicas.Count);
        foreach ((string topic, int partition) in replicas)
        {
            if (IsOnOfflineLog(brokerId, topic, partition))
            {
                still.Add((topic, partition));
            }
        }

        if (still.Count > 0)
        {
            await OnReplicasOfflineAsync(brokerId, still, [.. still], resend: true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            OfflineElectionFailures(brokerId).Abandon();
        }
    }

    /// <summary>Queues <paramref name="work"/> on the controller loop after <see cref="StoreRetryBackoff"/>, unless this broker stops being the controller or stops.</summary>
    private void PostAfterPause(Func<Task> work) => _ = PostAfterPauseAsync(work, _stopping.Token);

    private async Task PostAfterPauseAsync(Func<Task> work, CancellationToken stopping)
    {
        try
        {
            await Task.Delay(StoreRetryBackoff, _time, stopping).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (IsActive)
        {
            _loop.Post(work);
        }
    }

    /// <summary>A broker that failed or registered again starts with a clean slate: its next answers tell.</summary>
    private void ForgetOfflineReplicas(IEnumerable<int> brokers)
    {
        foreach (int broker in brokers)
        {
            _offlineReplicas.Remove(broker);
        }
    }

    /// <summary>A deleted topic's replicas are gone; a topic created again under its name starts online.</summary>
    private void ForgetOfflineReplicas(string topic)
    {
        foreach (HashSet<(string Topic, int Partition)> offline in _offlineReplicas.Values)
        {
            offline.RemoveWhere(r => string.Equals(r.Topic, topic, StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Watches /log_dir_event_notification and returns the notifications present now. Called on
    /// election: those are not handled one by one, since the new controller's full LeaderAndIsr asks
    /// every broker about every replica anyway; the caller deletes them after that send, as Kafka's
    /// controller does at fail-over.
    /// </summary>
    private async Task<IReadOnlyList<string>> WatchLogDirEventsAsync(CancellationToken cancellationToken) =>
        await _store.GetChildrenAsync(ZkPaths.LogDirEventNotification, LogDirEventsWatcher(), cancellationToken).ConfigureAwait(false) ?? [];

    private CallbackWatcher LogDirEventsWatcher() => new(_ => _loop.Post(() => OnLogDirEventsAsync(CancellationToken.None)));

    /// <summary>
    /// New notifications: each live broker named by one written during its current registration is
    /// asked about all its replicas (its answers do the rest); then every notification read is
    /// deleted, handled or not, so each is acted on once.
    /// </summary>
    private async Task OnLogDirEventsAsync(CancellationToken cancellationToken)
    {
        if (!_isActive)
        {
            LogDirEventFailures.Abandon();
            return;
        }

        try
        {
            await HandleLogDirEventsAsync(cancellationToken).ConfigureAwait(false);
            int failed = LogDirEventFailures.Succeeded();
            if (failed > 0)
            {
                LogLogDirEventsRecovered(_logger, failed);
            }
        }
        catch (CoordinationException e) when (_isActive)
        {
            // The watch was re-armed before the failure, but fires only on a new notification:
            // those read so far are not deleted, and the whole event is handled again after a pause.
            if (LogDirEventFailures.Failed(out int failures))
            {
                if (failures == 1)
                {
                    LogLogDirEventsFailed(_logger, e.Message);
                }
                else
                {
                    LogLogDirEventsStillFailing(_logger, failures, e.Message);
                }
            }

            PostAfterPause(() => OnLogDirEventsAsync(CancellationToken.None));
        }
    }

    private async Task HandleLogDirEventsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> children = await WatchLogDirEventsAsync(cancellationToken).ConfigureAwait(false);
        if (children.Count == 0)
        {
            return;
        }

        var brokers = new HashSet<int>();
        var read = new List<string>(children.Count);
        foreach (string child in children)
        {
            NodeData? data = await _store.GetDataAsync(LogDirEventNotificationZNode.PathOf(child), null, cancellationToken).ConfigureAwait(false);
            if (data is null)
            {
                continue;
            }

            read.Add(child);
            if (LogDirEventNotificationZNode.DecodeBrokerId(data.Data.Span) is not int brokerId)
            {
                LogMalformedLogDirEvent(_logger, child);
                continue;
            }

            // A broker that is gone had its replicas taken out when it failed; one that registered
            // after the notification was written was asked about every replica when it did.
            if (_liveBrokers.TryGetValue(brokerId, out BrokerRegistration? registration) && data.Stat.Czxid > registration.BrokerEpoch)
            {
                brokers.Add(brokerId);
            }
        }

        foreach (int brokerId in brokers)
        {
            LogLogDirFailure(_logger, brokerId);
            LeaderAndIsrRequestData? request = BuildLeaderAndIsr(_liveBrokers[brokerId], AllPartitions());
            if (request is not null)
            {
                await _channel.SendLeaderAndIsrAsync(brokerId, request, cancellationToken).ConfigureAwait(false);
            }
        }

        // Deleted only once the brokers were asked: a failure before leaves them to the retry.
        await DeleteLogDirEventsAsync(read, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes handled notifications, fenced by the controller epoch; one already gone is fine.</summary>
    private async Task DeleteLogDirEventsAsync(IReadOnlyList<string> children, CancellationToken cancellationToken)
    {
        foreach (string child in children)
        {
            try
            {
                await WriteFencedAsync([CoordinationOp.Delete(LogDirEventNotificationZNode.PathOf(child))], cancellationToken).ConfigureAwait(false);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NoNode)
            {
            }
        }
    }

    private static string Describe(List<(string Topic, int Partition)> replicas)
    {
        var names = new string[replicas.Count];
        for (int i = 0; i < replicas.Count; i++)
        {
            names[i] = replicas[i].Topic + "-" + replicas[i].Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return string.Join(", ", names);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: replicas {Partitions} on broker {BrokerId} are offline; electing without them.")]
    private static partial void LogReplicasOffline(ILogger logger, int brokerId, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: could not finish electing without broker {BrokerId}'s offline replicas, retrying: {Reason}")]
    private static partial void LogOfflineElectionFailed(ILogger logger, int brokerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: replicas {Partitions} on broker {BrokerId} are online again.")]
    private static partial void LogReplicasOnline(ILogger logger, int brokerId, string partitions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: could not elect partitions whose replicas on broker {BrokerId} are online again ({Attempts} attempts so far), retrying: {Reason}")]
    private static partial void LogOnlineElectionFailed(ILogger logger, int brokerId, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: elected the partitions whose replicas on broker {BrokerId} are online again after {Attempts} failed attempts.")]
    private static partial void LogOnlineElectionRecovered(ILogger logger, int brokerId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: still could not finish electing without broker {BrokerId}'s offline replicas after {Attempts} attempts, retrying: {Reason}")]
    private static partial void LogOfflineElectionStillFailing(ILogger logger, int brokerId, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: finished electing without broker {BrokerId}'s offline replicas after {Attempts} failed attempts.")]
    private static partial void LogOfflineElectionRecovered(ILogger logger, int brokerId, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: could not handle log dir event notifications, retrying: {Reason}")]
    private static partial void LogLogDirEventsFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: still could not handle log dir event notifications after {Attempts} attempts, retrying: {Reason}")]
    private static partial void LogLogDirEventsStillFailing(ILogger logger, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: handled the log dir event notifications after {Attempts} failed attempts.")]
    private static partial void LogLogDirEventsRecovered(ILogger logger, int attempts);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller: handling a log directory failure on broker {BrokerId}: asking it about all its replicas.")]
    private static partial void LogLogDirFailure(ILogger logger, int brokerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Controller: ignoring log dir event notification {Name}: not readable.")]
    private static partial void LogMalformedLogDirEvent(ILogger logger, string name);
}
