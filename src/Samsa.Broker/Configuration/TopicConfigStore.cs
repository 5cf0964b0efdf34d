using Samsa.Broker.Controller;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Topic config overrides in the coordination store (Kafka's AdminZkClient for topic configs):
/// /config/topics/&lt;t&gt; holds them, and every change also creates a /config/changes
/// notification in the same transaction so every broker reloads the topic. Stateless; safe to
/// call from any request thread.
/// </summary>
internal sealed class TopicConfigStore(ICoordinationStore store)
{
    /// <summary>A topic's stored overrides; <see cref="Version"/> -1 when the node does not exist.</summary>
    public sealed record Overrides(IReadOnlyDictionary<string, string> Config, int Version, long Mzxid);

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>(StringComparer.Ordinal);

    public async ValueTask<bool> TopicExistsAsync(string topic, CancellationToken cancellationToken) =>
        await store.ExistsAsync(ZkPaths.Topic(topic), null, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>The topics that have a config node.</summary>
    public async ValueTask<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) =>
        await store.GetChildrenAsync(ZkPaths.ConfigTopics, null, cancellationToken).ConfigureAwait(false) ?? [];

    /// <summary>
    /// The topic's overrides (empty when it has none or no node). A malformed node reads as empty:
    /// the broker keeps running on defaults rather than failing every request for the topic.
    /// </summary>
    public async ValueTask<Overrides> ReadAsync(string topic, CancellationToken cancellationToken)
    {
        NodeData? node = await store.GetDataAsync(ZkPaths.TopicConfig(topic), null, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            return new Overrides(None, -1, 0);
        }

        IReadOnlyDictionary<string, string> config;
        try
        {
            config = node.Data.Length == 0 ? None : ConfigZNode.Decode(node.Data.Span).Config;
        }
        catch (InvalidDataException)
        {
            config = None;
        }

        return new Overrides(config, node.Stat.Version, node.Stat.Mzxid);
    }

    /// <summary>
    /// Replaces the topic's overrides if the node is still at <paramref name="expectedVersion"/>
    /// (-1: the node must not exist yet) and notifies every broker. Returns false when someone else
    /// changed it first: read again and retry. Sent again when the answer was lost; if the first
    /// attempt was applied, the second fails its compare-and-set and this answers false too: the
    /// caller's edit, re-applied to what it wrote, writes the same set once more (one more change
    /// notification, which brokers read as a reload). Every edit (a replacement, SET, DELETE, and
    /// APPEND and SUBTRACT, which skip what is there or gone) gives its own result back when re-applied.
    /// </summary>
    public async ValueTask<bool> TryReplaceAsync(string topic, IReadOnlyDictionary<string, string> config, int expectedVersion, CancellationToken cancellationToken)
    {
        byte[] data = new ConfigZNode(config).Encode();
        CoordinationOp write = expectedVersion < 0
            ? CoordinationOp.Create(ZkPaths.TopicConfig(topic), data, CreateMode.Persistent)
            : CoordinationOp.SetData(ZkPaths.TopicConfig(topic), data, expectedVersion);
        CoordinationOp[] operations =
        [
            write,
            CoordinationOp.Create(ConfigChangeZNode.PathPrefix, ConfigChangeZNode.Encode(ConfigChangeZNode.TopicsEntityPrefix + topic), CreateMode.PersistentSequential),
        ];
        try
        {
            await ConnectionLoss.ResendAsync(() => store.MultiAsync(operations, cancellationToken).AsTask()).ConfigureAwait(false);
            return true;
        }
        catch (CoordinationException e) when (e.FailedOperationIndex == 0 && e.Error is CoordinationError.BadVersion or CoordinationError.NodeExists or CoordinationError.NoNode)
        {
            return false;
        }
    }
}
