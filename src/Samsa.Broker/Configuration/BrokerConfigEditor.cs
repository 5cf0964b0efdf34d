using System.Globalization;
using Samsa.Broker.Partitions;
using Samsa.Protocol;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Changes dynamic broker configs for AlterConfigs and IncrementalAlterConfigs on BROKER
/// resources (Kafka's ZkAdminManager.alterBrokerConfigs): resource "&lt;id&gt;" is this broker's
/// own configs, "" the cluster-wide defaults. Applies an edit to the stored set, validates the
/// result (only dynamic keys; every value parses; the broker's whole config, with the change, still
/// loads), writes it with compare-and-set (re-reading and re-applying the edit when another writer
/// got there first), then reloads this broker at once; other brokers follow their watches.
/// </summary>
internal sealed class BrokerConfigEditor(BrokerConfigStore store, DynamicBrokerConfig config, BrokerConfigWatcher watcher)
{
    /// <summary>Rounds of read-edit-write before giving up on an entity that keeps changing underneath.</summary>
    private const int MaxAttempts = 10;

    /// <param name="edit">From the stored configs to the new set, as for topics; runs again on every attempt.</param>
    public async Task<(ErrorCode Error, string? Message)> AlterAsync(string resourceName, TopicConfigEditor.Edit edit, bool validateOnly, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(edit);
        if (Entity(resourceName, config.BrokerId) is { Error: not ErrorCode.None } refused)
        {
            return (refused.Error, refused.Message);
        }

        bool perBroker = resourceName.Length > 0;
        string entity = perBroker ? BrokerConfigStore.BrokerEntity(config.BrokerId) : BrokerConfigStore.DefaultEntity;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            BrokerConfigStore.Entry current = await store.ReadAsync(entity, cancellationToken).ConfigureAwait(false);
            // Entries this broker would ignore anyway (written by something else) do not block the edit.
            TopicConfigEditor.EditResult result = edit(DynamicBrokerConfig.Usable(current.Config, []));
            if (result.Next is not { } next)
            {
                return (result.Error, result.Message);
            }

            if (Validate(resourceName, next, perBroker) is { Error: not ErrorCode.None } invalid)
            {
                return (invalid.Error, invalid.Message);
            }

            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }

            if (await store.TryReplaceAsync(entity, next, current.Version, cancellationToken).ConfigureAwait(false))
            {
                await watcher.ReloadAsync(cancellationToken).ConfigureAwait(false);
                return (ErrorCode.None, null);
            }
        }

        return (ErrorCode.UnknownServerError, $"The dynamic configs of broker {resourceName} kept changing while they were being altered; try again.");
    }

    /// <summary>
    /// Kafka's check of a BROKER resource name: "" (the defaults) or this broker's own id; a
    /// broker answers only for itself (clients send a broker's resource to that broker).
    /// </summary>
    public static (ErrorCode Error, string? Message) Entity(string resourceName, int brokerId)
    {
        ArgumentNullException.ThrowIfNull(resourceName);
        if (resourceName.Length == 0)
        {
            return (ErrorCode.None, null);
        }

        if (!int.TryParse(resourceName, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int id))
        {
            return (ErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {resourceName}");
        }

        return id == brokerId
            ? (ErrorCode.None, null)
            : (ErrorCode.InvalidRequest, $"Unexpected broker id, expected {brokerId.ToString(CultureInfo.InvariantCulture)}, but received {resourceName}");
    }

    /// <summary>
    /// Kafka's DynamicBrokerConfig.validate: keys that cannot change at run time are an
    /// INVALID_REQUEST with Kafka's message; an unknown key or a bad value is an INVALID_CONFIG that
    /// names the key; then the whole config, with the change, must load as at start-up.
    /// </summary>
    private (ErrorCode Error, string? Message) Validate(string resourceName, IReadOnlyDictionary<string, string> next, bool perBroker)
    {
        var nonDynamic = new List<string>();
        foreach (string name in next.Keys)
        {
            if (BrokerConfigDefinition.TryGetKey(name, out _) && !DynamicBrokerConfigKeys.IsDynamic(name))
            {
                nonDynamic.Add(name);
            }
        }

        if (nonDynamic.Count > 0)
        {
            nonDynamic.Sort(StringComparer.Ordinal);
            return (ErrorCode.InvalidRequest, $"Invalid config value for resource ConfigResource(type=BROKER, name='{resourceName}'): Cannot update these configs dynamically: Set({string.Join(", ", nonDynamic)})");
        }

        foreach (KeyValuePair<string, string> pair in next)
        {
            if (!BrokerConfigDefinition.TryGetKey(pair.Key, out ConfigKey key))
            {
                return (ErrorCode.InvalidConfig, $"Unknown broker config name: {pair.Key}");
            }

            if (!key.TryParse(pair.Value, out _, out string? error))
            {
                return (ErrorCode.InvalidConfig, error);
            }
        }

        BrokerConfigLayers layers = config.Layers;
        try
        {
            config.Build(perBroker ? layers.ClusterDefaults : next, perBroker ? next : layers.PerBroker);
        }
        catch (ConfigException e)
        {
            return (ErrorCode.InvalidConfig, e.Message);
        }

        return (ErrorCode.None, null);
    }
}
