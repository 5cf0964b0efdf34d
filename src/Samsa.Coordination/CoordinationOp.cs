namespace Samsa.Coordination;

/// <summary>
/// One operation of a <see cref="ICoordinationStore.MultiAsync"/> transaction, as ZooKeeper's Op.
/// Build them with the factory methods; the concrete records are what implementations match on.
/// </summary>
public abstract record CoordinationOp(string Path)
{
    /// <summary>Fails the transaction with BadVersion unless the node's version is <paramref name="version"/> (-1: only that it exists).</summary>
    public static CheckOp Check(string path, int version) => new(path, version);

    public static CreateOp Create(string path, ReadOnlyMemory<byte> data, CreateMode mode) => new(path, data, mode);

    public static SetDataOp SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new(path, data, version);

    public static DeleteOp Delete(string path, int version = -1) => new(path, version);
}
