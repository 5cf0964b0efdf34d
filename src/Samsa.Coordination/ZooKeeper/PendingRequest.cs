namespace Samsa.Coordination.ZooKeeper;

/// <summary>
/// One attempt of a request on one connection: the frame to send (the xid is assigned when it
/// goes out), the watch to register when the reply comes, and the completion the caller awaits.
/// Completed exactly once, by the receive loop with the server's reply or by the connection's
/// teardown with a local ConnectionLoss.
/// </summary>
internal sealed class PendingRequest
{
    private readonly TaskCompletionSource<ZooKeeperReply> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingRequest(ZooKeeperOpCode opCode, JuteWriter request, IWatcher? watcher = null, string? watchPath = null)
    {
        OpCode = opCode;
        Request = request;
        Watcher = watcher;
        WatchPath = watchPath;
    }

    public ZooKeeperOpCode OpCode { get; }

    public JuteWriter Request { get; }

    /// <summary>Registered in the client's watch tables when the reply arrives (server path in <see cref="WatchPath"/>).</summary>
    public IWatcher? Watcher { get; }

    public string? WatchPath { get; }

    public int Xid { get; set; }

    /// <summary>
    /// Set before the first byte is written: from then on the server may have seen the request,
    /// so a write that loses its connection must not be resent blindly.
    /// </summary>
    public bool WriteStarted { get; set; }

    public Task<ZooKeeperReply> Reply => _completion.Task;

    public void Complete(ZooKeeperReply reply)
    {
        if (!_completion.TrySetResult(reply))
        {
            reply.Release();
        }
    }
}
