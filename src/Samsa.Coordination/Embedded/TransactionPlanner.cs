using System.Globalization;

namespace Samsa.Coordination.Embedded;

/// <summary>
/// Turns a caller's operations into the primitive <see cref="TreeOp"/>s of one transaction, or the
/// first failure, without touching the tree: each op is checked against the tree as the earlier ops
/// of the same multi would leave it (an overlay of pending node states, as ZooKeeper's
/// PrepRequestProcessor keeps ChangeRecords). The checks and their order follow ZooKeeper's, so
/// the same request fails with the same code in both modes. Used under the store's lock.
/// </summary>
internal sealed class TransactionPlanner
{
    /// <summary>ZooKeeper's default jute.maxbuffer: the largest data a node may hold.</summary>
    public const int MaxDataBytes = 0xfffff;

    private readonly DataTree _tree;
    private readonly long _sessionId;
    private readonly Dictionary<string, PendingNode?> _overlay = new(StringComparer.Ordinal);

    public TransactionPlanner(DataTree tree, long sessionId)
    {
        _tree = tree;
        _sessionId = sessionId;
    }

    public List<TreeOp> Ops { get; } = [];

    /// <summary>For each planned caller op, the index of its tree op in <see cref="Ops"/>, -1 for a check.</summary>
    public List<int> OpIndexes { get; } = [];

    /// <summary>Plans one caller op; throws its failure as <see cref="CoordinationException"/>.</summary>
    public void Add(CoordinationOp operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        switch (operation)
        {
            case CreateOp create:
                PlanCreate(create.Path, create.Data, create.Mode);
                break;
            case DeleteOp delete:
                PlanDelete(delete.Path, delete.Version);
                break;
            case SetDataOp setData:
                PlanSetData(setData.Path, setData.Data, setData.Version);
                break;
            case CheckOp check:
                PlanCheck(check.Path, check.Version);
                break;
            default:
                throw new CoordinationException(CoordinationError.Unimplemented, $"Unknown operation {operation.GetType().Name}", operation.Path);
        }
    }

    private void PlanCreate(string path, ReadOnlyMemory<byte> data, CreateMode mode)
    {
        if (!Enum.IsDefined(mode))
        {
            throw new CoordinationException(CoordinationError.BadArguments, $"Unknown create mode {mode}", path);
        }

        CoordinationPath.ValidateForCreate(path, mode);
        CheckDataLength(path, data);
        bool sequential = CoordinationPath.IsSequential(mode);
        if (!sequential && path == CoordinationPath.Root)
        {
            throw new CoordinationException(CoordinationError.NodeExists, "The root always exists", path);
        }

        string parentPath = CoordinationPath.Parent(path);
        PendingNode parent = Lookup(parentPath)
            ?? throw new CoordinationException(CoordinationError.NoNode, $"Parent {parentPath} does not exist", path);
        string created = sequential
            ? string.Create(CultureInfo.InvariantCulture, $"{path}{parent.Cversion:D10}")
            : path;
        if (Lookup(created) is not null)
        {
            throw new CoordinationException(CoordinationError.NodeExists, $"{created} already exists", created);
        }

        if (parent.EphemeralOwner != 0)
        {
            throw new CoordinationException(CoordinationError.NoChildrenForEphemerals, $"{parentPath} is ephemeral", created);
        }

        long owner = CoordinationPath.IsEphemeral(mode) ? _sessionId : 0;
        _overlay[created] = new PendingNode(0, 0, owner, 0);
        parent.Cversion++;
        parent.NumChildren++;
        Emit(TreeOp.Create(created, data.ToArray(), owner));
    }

    private void PlanDelete(string path, int expectedVersion)
    {
        CoordinationPath.Validate(path);
        if (path == CoordinationPath.Root)
        {
            throw new CoordinationException(CoordinationError.BadArguments, "The root cannot be deleted", path);
        }

        PendingNode node = Existing(path);
        CheckVersion(path, node, expectedVersion);
        if (node.NumChildren > 0)
        {
            throw new CoordinationException(CoordinationError.NotEmpty, $"{path} has children", path);
        }

        PendingNode parent = Lookup(CoordinationPath.Parent(path))!;
        _overlay[path] = null;
        parent.Cversion++;
        parent.NumChildren--;
        Emit(TreeOp.Delete(path));
    }

    private void PlanSetData(string path, ReadOnlyMemory<byte> data, int expectedVersion)
    {
        CoordinationPath.Validate(path);
        CheckDataLength(path, data);
        PendingNode node = Existing(path);
        CheckVersion(path, node, expectedVersion);
        node.Version++;
        Emit(TreeOp.SetData(path, data.ToArray()));
    }

    private void PlanCheck(string path, int expectedVersion)
    {
        CoordinationPath.Validate(path);
        CheckVersion(path, Existing(path), expectedVersion);
        OpIndexes.Add(-1);
    }

    private void Emit(TreeOp op)
    {
        OpIndexes.Add(Ops.Count);
        Ops.Add(op);
    }

    private PendingNode Existing(string path) =>
        Lookup(path) ?? throw new CoordinationException(CoordinationError.NoNode, $"{path} does not exist", path);

    private PendingNode? Lookup(string path)
    {
        if (_overlay.TryGetValue(path, out PendingNode? pending))
        {
            return pending;
        }

        DataNode? node = _tree.Get(path);
        if (node is null)
        {
            return null;
        }

        pending = new PendingNode(node.Version, node.Cversion, node.EphemeralOwner, node.Children.Count);
        _overlay[path] = pending;
        return pending;
    }

    private static void CheckVersion(string path, PendingNode node, int expectedVersion)
    {
        if (expectedVersion != -1 && expectedVersion != node.Version)
        {
            throw new CoordinationException(CoordinationError.BadVersion, $"{path} is at version {node.Version}, not {expectedVersion}", path);
        }
    }

    private static void CheckDataLength(string path, ReadOnlyMemory<byte> data)
    {
        if (data.Length > MaxDataBytes)
        {
            throw new CoordinationException(CoordinationError.BadArguments, $"Data of {data.Length} bytes exceeds the limit of {MaxDataBytes}", path);
        }
    }

    /// <summary>A node as the ops planned so far leave it.</summary>
    private sealed class PendingNode(int version, int cversion, long ephemeralOwner, int numChildren)
    {
        public int Version { get; set; } = version;

        public int Cversion { get; set; } = cversion;

        public long EphemeralOwner { get; } = ephemeralOwner;

        public int NumChildren { get; set; } = numChildren;
    }
}
