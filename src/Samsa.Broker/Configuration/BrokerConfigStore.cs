using Samsa.Broker.Controller;
using Samsa.Broker.ZNodes;
using Samsa.Coordination;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Dynamic broker configs in the coordination store (Kafka's AdminZkClient for broker configs):
/// /config/brokers/&lt;id&gt; holds one broker's, /config/brokers/&lt;default&gt; the cluster-wide
/// defaults, both as <c>{"version":1,"config":{...}}</c>; every change also creates a
/// /config/changes notification (entity_path <c>brokers/&lt;id&gt;</c>) in the same transaction, as
/// Kafka's brokers expect. Stateless; safe to call from any request thread.
/// </summary>
internal sealed class BrokerConfigStore(ICoordinationStore store)
{
    /// <summary>Kafka's <c>ConfigEntityName.Default</c>: the entity of the cluster-wide defaults.</summary>
    public const string DefaultEntity = "<default>";

    /// <summary>The entity path prefix of broker configs in change notifications (relative to /config).</summary>
    public const string EntityPrefix = "brokers/";

    /// <summary>An entity's stored configs; <see cref="Version"/> -1 when the node does not exist.</summary>
    public sealed record Entry(IReadOnlyDictionary<string, string> Config, int Version);

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The entity name of broker <paramref name="brokerId"/>.</summary>
    public static string BrokerEntity(int brokerId) => brokerId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string PathOf(string entity) => ZkPaths.BrokerConfig(entity);

    /// <summary>
    /// The entity's configs (empty when it has none or no node). A malformed node reads as empty:
    /// the broker keeps running on its static config rather than failing.
    /// </summary>
    public async ValueTask<Entry> ReadAsync(string entity, CancellationToken cancellationToken)
    {
        NodeData? node = await store.GetDataAsync(PathOf(entity), null, cancellationToken).ConfigureAwait(false);
        if (node is null)
        {
            return new Entry(None, -1);
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

        return new Entry(config, node.Stat.Version);
    }

    /// <summary>
    /// Replaces the entity's configs if its node is still at <paramref name="expectedVersion"/>
    /// (-1: the node must not exist yet) and notifies every broker. Returns false when someone else
    /// changed it first: read again and retry. Sent again when the answer was lost; if the first
    /// attempt was applied, the second fails its compare-and-set and this answers false too: the
    /// caller's edit, re-applied to what it wrote, writes the same set once more (one more change
    /// notification, which brokers read as a reload). Every edit (a replacement, SET, DELETE, and
    /// APPEND and SUBTRACT, which skip what is there or gone) gives its own result back when re-applied.
    /// </summary>
    public async ValueTask<bool> TryReplaceAsync(string entity, IReadOnlyDictionary<string, string> config, int expectedVersion, CancellationToken cancellationToken)
    {
        byte[] data = new ConfigZNode(config).Encode();
        CoordinationOp write = expectedVersion < 0
            ? CoordinationOp.Create(PathOf(entity), data, CreateMode.Persistent)
            : CoordinationOp.SetData(PathOf(entity), data, expectedVersion);
        CoordinationOp[] operations =
        [
            write,
            CoordinationOp.Create(ConfigChangeZNode.PathPrefix, ConfigChangeZNode.Encode(EntityPrefix + entity), CreateMode.PersistentSequential),
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
