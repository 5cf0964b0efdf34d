namespace Samsa.Coordination.Embedded;

/// <summary>The kinds of <see cref="TreeOp"/>; the numbers are the op type byte in the log.</summary>
internal enum TreeOpKind : byte
{
    Create = 1,
    Delete = 2,
    SetData = 3,
}
