using System.Threading.Channels;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>Records a store's SessionStateChanged events, in order, for a test to await.</summary>
internal sealed class StateRecorder
{
    private readonly Channel<SessionState> _states = Channel.CreateUnbounded<SessionState>();

    public StateRecorder(ICoordinationStore store)
    {
        store.SessionStateChanged += (_, state) => _states.Writer.TryWrite(state);
    }

    /// <summary>Waits for <paramref name="expected"/>, skipping other states; fails after <paramref name="timeout"/>.</summary>
    public async Task WaitForAsync(SessionState expected, TimeSpan timeout)
    {
        using CancellationTokenSource deadline = new(timeout);
        try
        {
            while (await _states.Reader.ReadAsync(deadline.Token) != expected)
            {
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"No {expected} state change within {timeout.TotalSeconds} s");
        }
    }
}
