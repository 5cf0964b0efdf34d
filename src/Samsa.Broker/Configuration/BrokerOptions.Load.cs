using System.Globalization;
using System.Net;
using Samsa.Protocol.Records;
using Samsa.Storage;

namespace Samsa.Broker.Configuration;

public sealed partial record BrokerOptions
{
    private const long MillisPerMinute = 60L * 1000;
    private const long MillisPerHour = 60 * MillisPerMinute;

    /// <summary>
    /// Builds options from merged properties: parses and validates every known key (throwing
    /// <see cref="ConfigException"/> that names the key, the value and what is allowed), applies
    /// Kafka's defaults and precedence rules, and reports each unknown key in
    /// <paramref name="warnings"/> as Kafka does, without failing.
    /// </summary>
    public static BrokerOptions Load(IReadOnlyDictionary<string, string> properties, out IReadOnlyList<string> warnings)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            values[key.Name] = BrokerConfigDefinition.ParseDefault(key);
        }

        var unknown = new List<string>();
        var explicitKeys = new HashSet<string>(StringComparer.Ordinal);
        var originals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in properties)
        {
            if (BrokerConfigDefinition.TryGetKey(pair.Key, out ConfigKey key))
            {
                values[pair.Key] = key.Parse(pair.Value);
                explicitKeys.Add(pair.Key);
                originals[pair.Key] = pair.Value;
            }
            else
            {
                unknown.Add($"The configuration '{pair.Key}' was supplied but isn't a known config.");
            }
        }

        warnings = unknown;
        return Build(new Values(values, explicitKeys)) with { Originals = originals };
    }

    /// <summary>The file's properties with <c>--override</c> pairs applied on top (an override wins).</summary>
    public static IReadOnlyDictionary<string, string> Merge(
        IReadOnlyDictionary<string, string> file,
        IReadOnlyDictionary<string, string> overrides)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(overrides);
        var merged = new OrderedDictionary<string, string>(file.Count + overrides.Count, StringComparer.Ordinal);
        foreach (KeyValuePair<string, string> pair in file)
        {
            merged[pair.Key] = pair.Value;
        }

        foreach (KeyValuePair<string, string> pair in overrides)
        {
            merged[pair.Key] = pair.Value;
        }

        return merged;
    }

    /// <summary>
    /// Parses <c>--override</c> arguments (<c>key=value</c>, split at the first <c>=</c>; a later
    /// repeat of a key wins). Throws <see cref="ConfigException"/> for an argument without a key or <c>=</c>.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseOverrides(IEnumerable<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var result = new OrderedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string argument in arguments)
        {
            int equals = argument.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ConfigException($"Invalid command line property '{argument}': expected key=value, e.g. --override log.dirs=/tmp/kafka-logs-2");
            }

            result[argument[..equals].Trim()] = argument[(equals + 1)..];
        }

        return result;
    }

    private static BrokerOptions Build(Values v)
    {
        string? zooKeeperConnect = v.String(BrokerConfigDefinition.ZooKeeperConnect);
        if (string.IsNullOrWhiteSpace(zooKeeperConnect))
        {
            zooKeeperConnect = null;
        }
        else
        {
            ValidateZooKeeperConnect(zooKeeperConnect);
        }

        int brokerId = v.Int(BrokerConfigDefinition.BrokerId);
        bool generation = v.Bool(BrokerConfigDefinition.BrokerIdGenerationEnable);
        int reservedMax = v.Int(BrokerConfigDefinition.ReservedBrokerMaxId);
        if (generation && (brokerId < -1 || brokerId > reservedMax))
        {
            throw new ConfigException(BrokerConfigDefinition.BrokerId, Text(brokerId), $"Value must be -1 (generate one) or between 0 and {BrokerConfigDefinition.ReservedBrokerMaxId} ({Text(reservedMax)})");
        }

        if (!generation && brokerId < 0)
        {
            throw new ConfigException(BrokerConfigDefinition.BrokerId, Text(brokerId), $"Value must be at least 0 when {BrokerConfigDefinition.BrokerIdGenerationEnable} is false");
        }

        int sessionTimeout = v.Int(BrokerConfigDefinition.ZooKeeperSessionTimeoutMs);
        long rollMs = v.NullableLong(BrokerConfigDefinition.LogRollMs) ?? MillisPerHour * v.Int(BrokerConfigDefinition.LogRollHours);
        if (rollMs < 1)
        {
            throw new ConfigException(v.Has(BrokerConfigDefinition.LogRollMs) ? BrokerConfigDefinition.LogRollMs : BrokerConfigDefinition.LogRollHours, Text(rollMs), "log.roll.ms must be at least 1");
        }

        long jitterMs = v.NullableLong(BrokerConfigDefinition.LogRollJitterMs) ?? MillisPerHour * v.Int(BrokerConfigDefinition.LogRollJitterHours);
        if (jitterMs < 0)
        {
            throw new ConfigException(BrokerConfigDefinition.LogRollJitterMs, Text(jitterMs), "Value must be at least 0");
        }

        (long retentionMs, string retentionKey) = RetentionMs(v);
        if (retentionMs == 0)
        {
            throw new ConfigException(retentionKey, Text(retentionMs), "log.retention.ms must be unlimited (-1) or at least 1");
        }

        int replicaFetchWait = v.Int(BrokerConfigDefinition.ReplicaFetchWaitMaxMs);
        int replicaSocketTimeout = v.Int(BrokerConfigDefinition.ReplicaSocketTimeoutMs);
        long replicaLag = v.Long(BrokerConfigDefinition.ReplicaLagTimeMaxMs);
        if (replicaFetchWait > replicaSocketTimeout)
        {
            throw new ConfigException(BrokerConfigDefinition.ReplicaFetchWaitMaxMs, Text(replicaFetchWait), $"Value must be no more than {BrokerConfigDefinition.ReplicaSocketTimeoutMs} ({Text(replicaSocketTimeout)}) to avoid needless socket timeouts");
        }

        if (replicaFetchWait > replicaLag)
        {
            throw new ConfigException(BrokerConfigDefinition.ReplicaFetchWaitMaxMs, Text(replicaFetchWait), $"Value must be no more than {BrokerConfigDefinition.ReplicaLagTimeMaxMs} ({Text(replicaLag)}) to avoid needless ISR changes");
        }

        short offsetsReplication = v.Short(BrokerConfigDefinition.OffsetsTopicReplicationFactor);
        short requiredAcks = v.Short(BrokerConfigDefinition.OffsetsCommitRequiredAcks);
        if (requiredAcks < -1 || requiredAcks > offsetsReplication)
        {
            throw new ConfigException(BrokerConfigDefinition.OffsetsCommitRequiredAcks, Text(requiredAcks), $"Value must be at least -1 and no more than {BrokerConfigDefinition.OffsetsTopicReplicationFactor} ({Text(offsetsReplication)})");
        }

        (IReadOnlyList<ListenerEndpoint> listeners, IReadOnlyList<ListenerEndpoint> advertised, string interBrokerName) = ResolveListeners(v);

        return new BrokerOptions
        {
            ZooKeeperConnect = zooKeeperConnect,
            ZooKeeperSessionTimeoutMs = sessionTimeout,
            ZooKeeperConnectionTimeoutMs = v.NullableInt(BrokerConfigDefinition.ZooKeeperConnectionTimeoutMs) ?? sessionTimeout,
            ZooKeeperMaxInFlightRequests = v.Int(BrokerConfigDefinition.ZooKeeperMaxInFlightRequests),
            BrokerId = brokerId,
            BrokerIdGenerationEnable = generation,
            ReservedBrokerMaxId = reservedMax,
            BrokerRack = v.String(BrokerConfigDefinition.BrokerRack),
            MessageMaxBytes = v.Int(BrokerConfigDefinition.MessageMaxBytes),
            QueuedMaxRequests = v.Int(BrokerConfigDefinition.QueuedMaxRequests),
            QueuedMaxRequestBytes = ValidQueuedMaxRequestBytes(v),
            RequestTimeoutMs = v.Int(BrokerConfigDefinition.RequestTimeoutMs),
            NumIoThreads = v.Int(BrokerConfigDefinition.NumIoThreads),
            NumRecoveryThreadsPerDataDir = v.Int(BrokerConfigDefinition.NumRecoveryThreadsPerDataDir),
            Listeners = listeners,
            AdvertisedListeners = advertised,
            InterBrokerListenerName = interBrokerName,
            SocketSendBufferBytes = v.Int(BrokerConfigDefinition.SocketSendBufferBytes),
            SocketReceiveBufferBytes = v.Int(BrokerConfigDefinition.SocketReceiveBufferBytes),
            SocketRequestMaxBytes = v.Int(BrokerConfigDefinition.SocketRequestMaxBytes),
            MaxConnections = v.Int(BrokerConfigDefinition.MaxConnections),
            MaxConnectionsPerIp = ValidMaxConnectionsPerIp(v, out Dictionary<string, int> perIpOverrides),
            MaxConnectionsPerIpOverrides = perIpOverrides,
            ConnectionsMaxIdleMs = v.Long(BrokerConfigDefinition.ConnectionsMaxIdleMs),
            LogDirs = ResolveLogDirs(v),
            NumPartitions = v.Int(BrokerConfigDefinition.NumPartitions),
            DefaultReplicationFactor = v.Int(BrokerConfigDefinition.DefaultReplicationFactor),
            MinInsyncReplicas = v.Int(BrokerConfigDefinition.MinInsyncReplicas),
            LogSegmentBytes = v.Int(BrokerConfigDefinition.LogSegmentBytes),
            LogRollMs = rollMs,
            LogRollJitterMs = jitterMs,
            LogRetentionMs = retentionMs,
            LogRetentionBytes = v.Long(BrokerConfigDefinition.LogRetentionBytes),
            LogRetentionCheckIntervalMs = v.Long(BrokerConfigDefinition.LogRetentionCheckIntervalMs),
            LogCleanupPolicy = ToCleanupPolicy(v.List(BrokerConfigDefinition.LogCleanupPolicy)),
            LogCleanerEnable = v.Bool(BrokerConfigDefinition.LogCleanerEnable),
            LogCleanerThreads = v.Int(BrokerConfigDefinition.LogCleanerThreads),
            LogCleanerDeleteRetentionMs = v.Long(BrokerConfigDefinition.LogCleanerDeleteRetentionMs),
            LogCleanerMinCompactionLagMs = v.Long(BrokerConfigDefinition.LogCleanerMinCompactionLagMs),
            LogCleanerBackoffMs = v.Long(BrokerConfigDefinition.LogCleanerBackoffMs),
            LogIndexSizeMaxBytes = v.Int(BrokerConfigDefinition.LogIndexSizeMaxBytes),
            LogIndexIntervalBytes = v.Int(BrokerConfigDefinition.LogIndexIntervalBytes),
            LogFlushIntervalMessages = v.Long(BrokerConfigDefinition.LogFlushIntervalMessages),
            LogFlushIntervalMs = v.NullableLong(BrokerConfigDefinition.LogFlushIntervalMs) ?? v.Long(BrokerConfigDefinition.LogFlushSchedulerIntervalMs),
            LogFlushSchedulerIntervalMs = v.Long(BrokerConfigDefinition.LogFlushSchedulerIntervalMs),
            LogFlushOffsetCheckpointIntervalMs = v.Int(BrokerConfigDefinition.LogFlushOffsetCheckpointIntervalMs),
            LogFlushStartOffsetCheckpointIntervalMs = v.Int(BrokerConfigDefinition.LogFlushStartOffsetCheckpointIntervalMs),
            LogSegmentDeleteDelayMs = v.Long(BrokerConfigDefinition.LogSegmentDeleteDelayMs),
            LogPreallocate = v.Bool(BrokerConfigDefinition.LogPreallocate),
            LogMessageTimestampType = v.String(BrokerConfigDefinition.LogMessageTimestampType) == "LogAppendTime" ? TimestampType.LogAppendTime : TimestampType.CreateTime,
            LogMessageTimestampDifferenceMaxMs = v.Long(BrokerConfigDefinition.LogMessageTimestampDifferenceMaxMs),
            AutoCreateTopicsEnable = v.Bool(BrokerConfigDefinition.AutoCreateTopicsEnable),
            CompressionType = Enum.Parse<BrokerCompressionType>(v.String(BrokerConfigDefinition.CompressionType)!, ignoreCase: true),
            DeleteTopicEnable = v.Bool(BrokerConfigDefinition.DeleteTopicEnable),
            ReplicaLagTimeMaxMs = replicaLag,
            ReplicaSocketTimeoutMs = replicaSocketTimeout,
            ReplicaFetchMaxBytes = v.Int(BrokerConfigDefinition.ReplicaFetchMaxBytes),
            ReplicaFetchWaitMaxMs = replicaFetchWait,
            ReplicaFetchMinBytes = v.Int(BrokerConfigDefinition.ReplicaFetchMinBytes),
            ReplicaFetchResponseMaxBytes = v.Int(BrokerConfigDefinition.ReplicaFetchResponseMaxBytes),
            ReplicaFetchBackoffMs = v.Int(BrokerConfigDefinition.ReplicaFetchBackoffMs),
            NumReplicaFetchers = v.Int(BrokerConfigDefinition.NumReplicaFetchers),
            ReplicaHighWatermarkCheckpointIntervalMs = v.Long(BrokerConfigDefinition.ReplicaHighWatermarkCheckpointIntervalMs),
            AutoLeaderRebalanceEnable = v.Bool(BrokerConfigDefinition.AutoLeaderRebalanceEnable),
            LeaderImbalancePerBrokerPercentage = v.Int(BrokerConfigDefinition.LeaderImbalancePerBrokerPercentage),
            LeaderImbalanceCheckIntervalSeconds = v.Long(BrokerConfigDefinition.LeaderImbalanceCheckIntervalSeconds),
            UncleanLeaderElectionEnable = v.Bool(BrokerConfigDefinition.UncleanLeaderElectionEnable),
            ControlledShutdownEnable = v.Bool(BrokerConfigDefinition.ControlledShutdownEnable),
            ControlledShutdownMaxRetries = v.Int(BrokerConfigDefinition.ControlledShutdownMaxRetries),
            ControlledShutdownRetryBackoffMs = v.Long(BrokerConfigDefinition.ControlledShutdownRetryBackoffMs),
            GroupMinSessionTimeoutMs = v.Int(BrokerConfigDefinition.GroupMinSessionTimeoutMs),
            GroupMaxSessionTimeoutMs = v.Int(BrokerConfigDefinition.GroupMaxSessionTimeoutMs),
            GroupInitialRebalanceDelayMs = v.Int(BrokerConfigDefinition.GroupInitialRebalanceDelayMs),
            GroupMaxSize = v.Int(BrokerConfigDefinition.GroupMaxSize),
            GroupConsumerHeartbeatIntervalMs = v.Int(BrokerConfigDefinition.GroupConsumerHeartbeatIntervalMs),
            GroupConsumerSessionTimeoutMs = v.Int(BrokerConfigDefinition.GroupConsumerSessionTimeoutMs),
            GroupConsumerAssignors = v.List(BrokerConfigDefinition.GroupConsumerAssignors),
            OffsetMetadataMaxBytes = v.Int(BrokerConfigDefinition.OffsetMetadataMaxBytes),
            OffsetsTopicReplicationFactor = offsetsReplication,
            OffsetsTopicNumPartitions = v.Int(BrokerConfigDefinition.OffsetsTopicNumPartitions),
            OffsetsTopicSegmentBytes = v.Int(BrokerConfigDefinition.OffsetsTopicSegmentBytes),
            OffsetsRetentionMinutes = v.Int(BrokerConfigDefinition.OffsetsRetentionMinutes),
            OffsetsRetentionCheckIntervalMs = v.Long(BrokerConfigDefinition.OffsetsRetentionCheckIntervalMs),
            OffsetsCommitTimeoutMs = v.Int(BrokerConfigDefinition.OffsetsCommitTimeoutMs),
            OffsetsCommitRequiredAcks = requiredAcks,
            TransactionalIdExpirationMs = v.Int(BrokerConfigDefinition.TransactionalIdExpirationMs),
            TransactionMaxTimeoutMs = v.Int(BrokerConfigDefinition.TransactionMaxTimeoutMs),
            TransactionStateLogMinIsr = v.Int(BrokerConfigDefinition.TransactionStateLogMinIsr),
            TransactionStateLogReplicationFactor = v.Short(BrokerConfigDefinition.TransactionStateLogReplicationFactor),
            TransactionStateLogNumPartitions = v.Int(BrokerConfigDefinition.TransactionStateLogNumPartitions),
            TransactionStateLogSegmentBytes = v.Int(BrokerConfigDefinition.TransactionStateLogSegmentBytes),
            MaxIncrementalFetchSessionCacheSlots = v.Int(BrokerConfigDefinition.MaxIncrementalFetchSessionCacheSlots),
            FetchMaxBytes = v.Int(BrokerConfigDefinition.FetchMaxBytes),
        };
    }

    // Kafka's precedence: log.retention.ms, else log.retention.minutes, else log.retention.hours;
    // any negative result means "keep forever" and is normalised to -1.
    private static (long Millis, string Key) RetentionMs(Values v)
    {
        long millis;
        string key;
        if (v.NullableLong(BrokerConfigDefinition.LogRetentionMs) is { } ms)
        {
            (millis, key) = (ms, BrokerConfigDefinition.LogRetentionMs);
        }
        else if (v.NullableInt(BrokerConfigDefinition.LogRetentionMinutes) is { } minutes)
        {
            (millis, key) = (MillisPerMinute * minutes, BrokerConfigDefinition.LogRetentionMinutes);
        }
        else
        {
            (millis, key) = (MillisPerHour * v.Int(BrokerConfigDefinition.LogRetentionHours), BrokerConfigDefinition.LogRetentionHours);
        }

        return (millis < 0 ? -1 : millis, key);
    }

    private static List<string> ResolveLogDirs(Values v)
    {
        string? configured = v.String(BrokerConfigDefinition.LogDirs);
        string key = configured is null ? BrokerConfigDefinition.LogDir : BrokerConfigDefinition.LogDirs;
        string text = configured ?? v.String(BrokerConfigDefinition.LogDir) ?? string.Empty;
        var dirs = new List<string>();
        foreach (string part in text.Split(','))
        {
            string dir = part.Trim();
            if (dir.Length > 0)
            {
                dirs.Add(dir);
            }
        }

        if (dirs.Count == 0)
        {
            throw new ConfigException(key, text, "At least one log directory must be defined via log.dirs or log.dir");
        }

        return dirs;
    }

    private static CleanupPolicy ToCleanupPolicy(IReadOnlyList<string> items)
    {
        CleanupPolicy policy = CleanupPolicy.None;
        foreach (string item in items)
        {
            policy |= item == "compact" ? CleanupPolicy.Compact : CleanupPolicy.Delete;
        }

        return policy;
    }

    private static void ValidateZooKeeperConnect(string connect)
    {
        int slash = connect.IndexOf('/', StringComparison.Ordinal);
        string hosts = slash < 0 ? connect : connect[..slash];
        if (slash >= 0 && connect.Length > slash + 1 && connect.EndsWith('/'))
        {
            throw new ConfigException(BrokerConfigDefinition.ZooKeeperConnect, connect, "The chroot path must not end with '/'");
        }

        foreach (string raw in hosts.Split(','))
        {
            string entry = raw.Trim();
            int colon = entry.LastIndexOf(':');
            string host = colon < 0 ? entry : entry[..colon];
            bool portOk = colon < 0
                || (int.TryParse(entry.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port is > 0 and <= 65535);
            if (host.Length == 0 || !portOk)
            {
                throw new ConfigException(BrokerConfigDefinition.ZooKeeperConnect, connect, "Expected host:port[,host:port...][/chroot], e.g. localhost:2181");
            }
        }
    }

    private static (IReadOnlyList<ListenerEndpoint> Listeners, IReadOnlyList<ListenerEndpoint> Advertised, string InterBroker) ResolveListeners(Values v)
    {
        Dictionary<string, string> protocols = ParseProtocolMap(v.String(BrokerConfigDefinition.ListenerSecurityProtocolMap) ?? string.Empty);

        string listenersText = v.String(BrokerConfigDefinition.Listeners) ?? string.Empty;
        IReadOnlyList<ListenerEndpoint> listeners = ListenerEndpoint.ParseList(listenersText, BrokerConfigDefinition.Listeners);
        if (listeners.Count == 0)
        {
            throw new ConfigException(BrokerConfigDefinition.Listeners, listenersText, "At least one listener is required, e.g. PLAINTEXT://localhost:9092");
        }

        CheckProtocols(listeners, protocols, BrokerConfigDefinition.Listeners, listenersText);
        for (int i = 0; i < listeners.Count; i++)
        {
            for (int j = i + 1; j < listeners.Count; j++)
            {
                // Port 0 is exempt: each such listener gets its own OS-chosen port.
                if (listeners[i].Port != 0 && listeners[i].Port == listeners[j].Port)
                {
                    throw new ConfigException(BrokerConfigDefinition.Listeners, listenersText, $"Each listener must have a different port; {listeners[i].Port} is used twice");
                }
            }
        }

        IReadOnlyList<ListenerEndpoint> advertised = listeners;
        string advertisedKey = BrokerConfigDefinition.Listeners;
        string advertisedText = listenersText;
        if (v.String(BrokerConfigDefinition.AdvertisedListeners) is { } configured)
        {
            advertisedKey = BrokerConfigDefinition.AdvertisedListeners;
            advertisedText = configured;
            advertised = ListenerEndpoint.ParseList(configured, BrokerConfigDefinition.AdvertisedListeners);
            CheckProtocols(advertised, protocols, BrokerConfigDefinition.AdvertisedListeners, configured);
            foreach (ListenerEndpoint endpoint in advertised)
            {
                if (!ContainsName(listeners, endpoint.Name))
                {
                    throw new ConfigException(BrokerConfigDefinition.AdvertisedListeners, configured, $"Listener {endpoint.Name} is not defined in {BrokerConfigDefinition.Listeners}; advertised listener names must be a subset of {Names(listeners)}");
                }
            }
        }

        var resolved = new List<ListenerEndpoint>(advertised.Count);
        foreach (ListenerEndpoint endpoint in advertised)
        {
            if (endpoint.Host == "0.0.0.0")
            {
                throw new ConfigException(advertisedKey, advertisedText, "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0; use a routable host name or IP address");
            }

            // Kafka advertises the machine's host name for an empty host ("listen everywhere").
            resolved.Add(endpoint.Host.Length == 0 ? endpoint with { Host = Dns.GetHostName() } : endpoint);
        }

        string? interBrokerName = v.String(BrokerConfigDefinition.InterBrokerListenerName);
        string interBrokerKey = BrokerConfigDefinition.InterBrokerListenerName;
        if (interBrokerName is not null && v.Has(BrokerConfigDefinition.InterBrokerSecurityProtocol))
        {
            throw new ConfigException(BrokerConfigDefinition.InterBrokerListenerName, interBrokerName, $"Only one of {BrokerConfigDefinition.InterBrokerListenerName} and {BrokerConfigDefinition.InterBrokerSecurityProtocol} should be set");
        }

        if (interBrokerName is null)
        {
            interBrokerName = v.String(BrokerConfigDefinition.InterBrokerSecurityProtocol)!;
            interBrokerKey = BrokerConfigDefinition.InterBrokerSecurityProtocol;
        }

        interBrokerName = interBrokerName.ToUpperInvariant();
        if (!ContainsName(resolved, interBrokerName))
        {
            throw new ConfigException(interBrokerKey, interBrokerName, $"{BrokerConfigDefinition.InterBrokerListenerName} must be a listener name defined in {BrokerConfigDefinition.AdvertisedListeners}; the valid options are {Names(resolved)}");
        }

        return (listeners, resolved, interBrokerName);
    }

    private static Dictionary<string, string> ParseProtocolMap(string text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split(','))
        {
            string entry = raw.Trim();
            if (entry.Length == 0)
            {
                continue;
            }

            int colon = entry.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == entry.Length - 1)
            {
                throw new ConfigException(BrokerConfigDefinition.ListenerSecurityProtocolMap, text, $"Entry '{entry}' is not NAME:PROTOCOL");
            }

            string protocol = entry[(colon + 1)..].Trim().ToUpperInvariant();
            if (protocol is not ("PLAINTEXT" or "SSL" or "SASL_PLAINTEXT" or "SASL_SSL"))
            {
                throw new ConfigException(BrokerConfigDefinition.ListenerSecurityProtocolMap, text, $"Invalid security protocol '{protocol}'; one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
            }

            map[entry[..colon].Trim().ToUpperInvariant()] = protocol;
        }

        return map;
    }

    private static void CheckProtocols(IReadOnlyList<ListenerEndpoint> endpoints, Dictionary<string, string> protocols, string key, string text)
    {
        foreach (ListenerEndpoint endpoint in endpoints)
        {
            if (!protocols.TryGetValue(endpoint.Name, out string? protocol))
            {
                throw new ConfigException(key, text, $"No security protocol defined for listener {endpoint.Name}; add it to {BrokerConfigDefinition.ListenerSecurityProtocolMap} or name it PLAINTEXT");
            }

            if (protocol != "PLAINTEXT")
            {
                throw new ConfigException(key, text, $"Listener {endpoint.Name} uses security protocol {protocol}; Samsa supports only PLAINTEXT");
            }
        }
    }

    private static bool ContainsName(IReadOnlyList<ListenerEndpoint> endpoints, string name)
    {
        foreach (ListenerEndpoint endpoint in endpoints)
        {
            if (endpoint.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    private static string Names(IReadOnlyList<ListenerEndpoint> endpoints)
    {
        var names = new string[endpoints.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = endpoints[i].Name;
        }

        return string.Join(",", names);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Parsed values by key (defaults filled in); which keys the operator set explicitly.</summary>
    private sealed class Values(Dictionary<string, object?> values, HashSet<string> explicitKeys)
    {
        private readonly Dictionary<string, object?> _values = values;
        private readonly HashSet<string> _explicitKeys = explicitKeys;

        /// <summary>Whether the operator wrote this key (Kafka's "originals contain").</summary>
        public bool Has(string key) => _explicitKeys.Contains(key);

        public int Int(string key) => (int)_values[key]!;

        public int? NullableInt(string key) => (int?)_values[key];

        public short Short(string key) => (short)_values[key]!;

        public long Long(string key) => (long)_values[key]!;

        public long? NullableLong(string key) => (long?)_values[key];

        public bool Bool(string key) => (bool)_values[key]!;

        public string? String(string key) => (string?)_values[key];

        public IReadOnlyList<string> List(string key) => (IReadOnlyList<string>)_values[key]!;
    }
}
