namespace Samsa.Coordination.ZooKeeper;

/// <summary>The <see cref="ICoordinationStore"/> operations as ZooKeeper requests.</summary>
public sealed partial class ZooKeeperClient
{
    public async ValueTask<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CoordinationPath.ValidateForCreate(path, mode);
        CheckData(path, data.Length);

        // CreateRequest: path, data, acl, flags (CreateMode's numbers are ZooKeeper's flags).
        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.Create, 64 + (path.Length * 3) + data.Length);
        request.WriteString(_connectString.ToServerPath(path));
        request.WriteBuffer(data.Span);
        request.WriteOpenAcl();
        request.WriteInt32((int)mode);
        ZooKeeperReply reply = await ExecuteAsync(request, ZooKeeperOpCode.Create, idempotent: false, null, null, cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed(reply.Error, path);

            // CreateResponse: the path the server created (with the sequence suffix).
            var reader = new JuteReader(reply.Body);
            string? created = reader.ReadString();
            return created is null || reader.Failed ? throw Malformed(path) : _connectString.ToClientPath(created);
        }
        finally
        {
            reply.Release();
        }
    }

    public async ValueTask DeleteAsync(string path, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CoordinationPath.Validate(path);
        if (path == CoordinationPath.Root)
        {
            // As the Java client: the root (or the chroot) is never deleted.
            throw new CoordinationException(CoordinationError.BadArguments, "The root cannot be deleted", path);
        }

        // DeleteRequest: path, version.
        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.Delete, 32 + (path.Length * 3));
        request.WriteString(_connectString.ToServerPath(path));
        request.WriteInt32(expectedVersion);
        ZooKeeperReply reply = await ExecuteAsync(request, ZooKeeperOpCode.Delete, idempotent: false, null, null, cancellationToken).ConfigureAwait(false);
        reply.Release();
        ThrowIfFailed(reply.Error, path);
    }

    public async ValueTask<NodeStat?> ExistsAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperReply reply = await ReadAsync(ZooKeeperOpCode.Exists, path, watcher, cancellationToken).ConfigureAwait(false);
        try
        {
            if (reply.Error == CoordinationError.NoNode)
            {
                return null;
            }

            ThrowIfFailed(reply.Error, path);

            // ExistsResponse: stat.
            var reader = new JuteReader(reply.Body);
            NodeStat stat = reader.ReadStat();
            return reader.Failed ? throw Malformed(path) : stat;
        }
        finally
        {
            reply.Release();
        }
    }

    public async ValueTask<NodeData?> GetDataAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperReply reply = await ReadAsync(ZooKeeperOpCode.GetData, path, watcher, cancellationToken).ConfigureAwait(false);
        try
        {
            if (reply.Error == CoordinationError.NoNode)
            {
                return null;
            }

            ThrowIfFailed(reply.Error, path);

            // GetDataResponse: data, stat.
            var reader = new JuteReader(reply.Body);
            byte[] data = reader.ReadBuffer();
            NodeStat stat = reader.ReadStat();
            return reader.Failed ? throw Malformed(path) : new NodeData(data, stat);
        }
        finally
        {
            reply.Release();
        }
    }

    public async ValueTask<NodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int expectedVersion = -1, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CoordinationPath.Validate(path);
        CheckData(path, data.Length);

        // SetDataRequest: path, data, version.
        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.SetData, 64 + (path.Length * 3) + data.Length);
        request.WriteString(_connectString.ToServerPath(path));
        request.WriteBuffer(data.Span);
        request.WriteInt32(expectedVersion);
        ZooKeeperReply reply = await ExecuteAsync(request, ZooKeeperOpCode.SetData, idempotent: false, null, null, cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfFailed(reply.Error, path);

            // SetDataResponse: stat.
            var reader = new JuteReader(reply.Body);
            NodeStat stat = reader.ReadStat();
            return reader.Failed ? throw Malformed(path) : stat;
        }
        finally
        {
            reply.Release();
        }
    }

    public async ValueTask<IReadOnlyList<string>?> GetChildrenAsync(string path, IWatcher? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperReply reply = await ReadAsync(ZooKeeperOpCode.GetChildren, path, watcher, cancellationToken).ConfigureAwait(false);
        try
        {
            if (reply.Error == CoordinationError.NoNode)
            {
                return null;
            }

            ThrowIfFailed(reply.Error, path);

            // GetChildrenResponse: vector<ustring> children, in no particular order.
            var reader = new JuteReader(reply.Body);
            int count = reader.ReadInt32();
            if (reader.Failed || count < 0 || count > reader.Remaining / 4)
            {
                throw Malformed(path);
            }

            var children = new string[count];
            for (int i = 0; i < count; i++)
            {
                children[i] = reader.ReadString() ?? string.Empty;
            }

            if (reader.Failed)
            {
                throw Malformed(path);
            }

            Array.Sort(children, StringComparer.Ordinal);
            return children;
        }
        finally
        {
            reply.Release();
        }
    }

    /// <summary>
    /// ZooKeeper's sync: returns once the server this client is connected to has applied every write
    /// the leader committed before the call. Reads are served by that server and may lag writes made
    /// through others (ZooKeeper orders a session's own operations, not reads across sessions); a
    /// read after a sync sees everything committed before it.
    /// </summary>
    public async ValueTask SyncAsync(string path = CoordinationPath.Root, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CoordinationPath.Validate(path);

        // SyncRequest: path; SyncResponse: path.
        using var request = JuteWriter.ForRequest(ZooKeeperOpCode.Sync, 32 + (path.Length * 3));
        request.WriteString(_connectString.ToServerPath(path));
        ZooKeeperReply reply = await ExecuteAsync(request, ZooKeeperOpCode.Sync, idempotent: true, null, null, cancellationToken).ConfigureAwait(false);
        reply.Release();
        ThrowIfFailed(reply.Error, path);
    }

    private async ValueTask<ZooKeeperReply> ReadAsync(ZooKeeperOpCode opCode, string path, IWatcher? watcher, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CoordinationPath.Validate(path);

        // ExistsRequest, GetDataRequest and GetChildrenRequest are all: path, watch.
        string serverPath = _connectString.ToServerPath(path);
        using var request = JuteWriter.ForRequest(opCode, 32 + (path.Length * 3));
        request.WriteString(serverPath);
        request.WriteBool(watcher is not null);
        return await ExecuteAsync(request, opCode, idempotent: true, watcher, watcher is null ? null : serverPath, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckData(string path, int length)
    {
        if (length > MaxDataLength)
        {
            throw new CoordinationException(CoordinationError.BadArguments, $"Data of {length} bytes exceeds ZooKeeper's limit of {MaxDataLength}", path);
        }
    }

    private static void ThrowIfFailed(CoordinationError error, string path)
    {
        if (error != CoordinationError.Ok)
        {
            throw new CoordinationException(error, "ZooKeeper refused the request", path);
        }
    }

    private static CoordinationException Malformed(string path) =>
        new(CoordinationError.MarshallingError, "Malformed reply from ZooKeeper", path);
}
