namespace Samsa.Coordination.Embedded;

/// <summary>
/// A primitive, already validated change to the tree: what a committed transaction is made of,
/// what the write-ahead log stores and what replay applies. Creates carry the final name (sequence
/// suffix included) and the owner, so replay never recomputes anything.
/// </summary>
internal readonly record struct TreeOp(TreeOpKind Kind, string Path, byte[] Data, long EphemeralOwner)
{
    public static TreeOp Create(string path, byte[] data, long ephemeralOwner) => new(TreeOpKind.Create, path, data, ephemeralOwner);

    public static TreeOp Delete(string path) => new(TreeOpKind.Delete, path, [], 0);

    public static TreeOp SetData(string path, byte[] data) => new(TreeOpKind.SetData, path, data, 0);
}
