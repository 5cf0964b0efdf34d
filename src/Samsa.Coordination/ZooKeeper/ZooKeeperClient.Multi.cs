namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// <see cref="ICoordinationStore.MultiAsync"/> as ZooKeeper's multi (op 14). The request is, per
/// operation, a MultiHeader (type, done=false, err=-1) and the operation's own request record,
/// closed by a MultiHeader (type -1, done=true, err -1). The response has a MultiHeader per result
/// and then its record (CreateResponse, Create2Response, SetDataResponse, nothing for delete and
/// check, ErrorResponse for type -1), closed the same way. When the transaction fails, every result
/// is an ErrorResponse: 0 before the failing operation, its code at it, RuntimeInconsistency after.
/// Creates are sent as create2, but ZooKeeper 3.8 answers them inside a multi as plain creates
/// (path, no stat), so a create's <see cref="CoordinationOpResult.Stat"/> is null here.
/// </summary>
public sealed partial class ZooKeeperClient
{
    public async ValueTask<IReadOnlyList<CoordinationOpResult>> MultiAsync(IReadOnlyList<CoordinationOp> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        cancellationToken.ThrowIfCancellationRequested();
        if (operations.Count == 0)
        {
            return [];
        }

        int size = 64;
        for (int i = 0; i < operations.Count; i++)
        {
            size += 64 + (operations[i].Path.Length * 3) + Validate(operations[i], i);
        }

        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.Multi, size);
        for (int i = 0; i < operations.Count; i++)
        {
            WriteOperation(request, operations[i]);
        }

        request.WriteInt32((int)ZooKeeperOpCode.Error);
        request.WriteBool(true);
        request.WriteInt32(-1);

        ZooKeeperReply reply = await ExecuteAsync(request, ZooKeeperOpCode.Multi, idempotent: false, null, null, cancellationToken).ConfigureAwait(false);
        try
        {
            if (reply.Error != CoordinationError.Ok && reply.Body.IsEmpty)
            {
                throw new CoordinationException(reply.Error, "ZooKeeper refused the multi");
            }

            return ReadResults(reply.Body, operations);
        }
        finally
        {
            reply.Release();
        }
    }

    /// <summary>Client-side checks, as ZooKeeper's Op.validate; returns the data size for the buffer estimate.</summary>
    private static int Validate(CoordinationOp operation, int index)
    {
        try
        {
            switch (operation)
            {
                case CreateOp create:
                    CoordinationPath.ValidateForCreate(create.Path, create.Mode);
                    CheckData(create.Path, create.Data.Length);
                    return create.Data.Length;
                case SetDataOp set:
                    CoordinationPath.Validate(set.Path);
                    CheckData(set.Path, set.Data.Length);
                    return set.Data.Length;
                case DeleteOp delete:
                    CoordinationPath.Validate(delete.Path);
                    return delete.Path == CoordinationPath.Root
                        ? throw new CoordinationException(CoordinationError.BadArguments, "The root cannot be deleted", delete.Path)
                        : 0;
                case CheckOp check:
                    CoordinationPath.Validate(check.Path);
                    return 0;
                default:
                    throw new CoordinationException(CoordinationError.Unimplemented, $"Unknown operation {operation.GetType().Name}", operation.Path);
            }
        }
        catch (CoordinationException e)
        {
            throw new CoordinationException(e.Error, e.Message, operation.Path, index, e);
        }
    }

    private void WriteOperation(JuteWriter request, CoordinationOp operation)
    {
        ZooKeeperOpCode type = operation switch
        {
            CreateOp => ZooKeeperOpCode.Create2,
            SetDataOp => ZooKeeperOpCode.SetData,
            DeleteOp => ZooKeeperOpCode.Delete,
            _ => ZooKeeperOpCode.Check,
        };
        request.WriteInt32((int)type);
        request.WriteBool(false);
        request.WriteInt32(-1);
        request.WriteString(_connectString.ToServerPath(operation.Path));
        switch (operation)
        {
            case CreateOp create:
                request.WriteBuffer(create.Data.Span);
                request.WriteOpenAcl();
                request.WriteInt32((int)create.Mode);
                break;
            case SetDataOp set:
                request.WriteBuffer(set.Data.Span);
                request.WriteInt32(set.Version);
                break;
            case DeleteOp delete:
                request.WriteInt32(delete.Version);
                break;
            case CheckOp check:
                // CheckVersionRequest: path, version.
                request.WriteInt32(check.Version);
                break;
        }
    }

    private CoordinationOpResult[] ReadResults(ReadOnlySpan<byte> body, IReadOnlyList<CoordinationOp> operations)
    {
        var results = new CoordinationOpResult[operations.Count];
        var reader = new JuteReader(body);
        int index = 0;
        int failedIndex = -1;
        CoordinationError failure = CoordinationError.Ok;
        while (true)
        {
            int type = reader.ReadInt32();
            bool done = reader.ReadBool();
            _ = reader.ReadInt32();
            if (reader.Failed || done)
            {
                break;
            }

            if (index >= operations.Count)
            {
                throw Malformed(operations[0].Path);
            }

            CoordinationOp operation = operations[index];
            switch ((ZooKeeperOpCode)type)
            {
                case ZooKeeperOpCode.Error:
                    var error = (CoordinationError)reader.ReadInt32();
                    if (failedIndex < 0 && error is not CoordinationError.Ok and not CoordinationError.RuntimeInconsistency)
                    {
                        failedIndex = index;
                        failure = error;
                    }

                    break;
                case ZooKeeperOpCode.Create:
                    results[index] = new CoordinationOpResult(operation, ToClientPath(reader.ReadString()), null);
                    break;
                case ZooKeeperOpCode.Create2:
                    string? created = reader.ReadString();
                    results[index] = new CoordinationOpResult(operation, ToClientPath(created), reader.ReadStat());
                    break;
                case ZooKeeperOpCode.SetData:
                    results[index] = new CoordinationOpResult(operation, null, reader.ReadStat());
                    break;
                case ZooKeeperOpCode.Delete:
                case ZooKeeperOpCode.Check:
                    results[index] = new CoordinationOpResult(operation, null, null);
                    break;
                default:
                    throw Malformed(operation.Path);
            }

            index++;
        }

        if (reader.Failed)
        {
            throw Malformed(operations[0].Path);
        }

        if (failedIndex >= 0)
        {
            throw new CoordinationException(failure, $"Multi operation {failedIndex} failed; nothing was applied", operations[failedIndex].Path, failedIndex);
        }

        if (index != operations.Count)
        {
            throw Malformed(operations[0].Path);
        }

        return results;
    }

    private string? ToClientPath(string? serverPath) => serverPath is null ? null : _connectString.ToClientPath(serverPath);
}
