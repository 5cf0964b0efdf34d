namespace Samsa.Coordination;

/// <summary>
/// A coordination operation failed with <see cref="Error"/>. As in ZooKeeper's API, expected
/// outcomes are exceptions too (NoNode on delete, NodeExists on create, BadVersion on a lost
/// compare-and-set): the controller catches the specific codes it expects, e.g.
/// <c>catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)</c>, and lets
/// every other code propagate. Reads of a missing node return null instead of throwing.
/// </summary>
public sealed class CoordinationException : Exception
{
    public CoordinationException()
        : this(CoordinationError.SystemError, "Coordination failure")
    {
    }

    public CoordinationException(string message)
        : this(CoordinationError.SystemError, message)
    {
    }

    public CoordinationException(string message, Exception innerException)
        : this(CoordinationError.SystemError, message, innerException)
    {
    }

    public CoordinationException(CoordinationError error, string message, Exception? innerException = null)
        : this(error, message, path: null, failedOperationIndex: -1, innerException)
    {
    }

    public CoordinationException(CoordinationError error, string message, string? path, int failedOperationIndex = -1, Exception? innerException = null)
        : base($"{error} ({(int)error}): {message}", innerException)
    {
        Error = error;
        Path = path;
        FailedOperationIndex = failedOperationIndex;
    }

    public CoordinationError Error { get; }

    /// <summary>The path the failure is about, when there is one.</summary>
    public string? Path { get; }

    /// <summary>
    /// For a failed multi, the index of the operation that failed (the others were not applied);
    /// -1 for single operations.
    /// </summary>
    public int FailedOperationIndex { get; }
}
