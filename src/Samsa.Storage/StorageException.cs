namespace Samsa.Storage;

/// <summary>
/// A log directory or file cannot be used as it is: corrupt data before the recovery point, a
/// checkpoint that does not parse, an I/O failure. The broker answers KAFKA_STORAGE_ERROR for the
/// partitions it affects and takes them offline; it never serves data it could not verify.
/// </summary>
public sealed class StorageException : Exception
{
    public StorageException()
    {
    }

    public StorageException(string message)
        : base(message)
    {
    }

    public StorageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
