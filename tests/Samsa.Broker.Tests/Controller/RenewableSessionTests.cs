using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using Samsa.Broker.Controller;
using Samsa.Coordination;
using Samsa.Coordination.Embedded;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Controller;

public sealed class RenewableSessionTests
{
    [Fact]
    public async Task Subscribers_hear_the_expiry_before_the_renewed_session_is_opened()
    {
        // A broker registers again on "Connected after Expired": heard the other way round (the
        // renewal racing ahead of the expiry's delivery on a busy machine), it never did.
        using var dir = new TempDirectory();
        await using EmbeddedCoordinationStore store = EmbeddedCoordinationStore.Open(dir.Combine("coordination"), TimeProvider.System);
        ICoordinationStore first = store.OpenSession();
        using var opened = new ManualResetEventSlim();
        var heard = new ConcurrentQueue<string>();
        await using var session = new RenewableSession(
            first,
            _ =>
            {
                opened.Set();
                return Task.FromResult(store.OpenSession());
            },
            TimeProvider.System,
            NullLogger.Instance);
        using var connected = new SemaphoreSlim(0);
        session.SessionStateChanged += (_, state) =>
        {
            if (state == SessionState.Expired)
            {
                // Long enough for a renewal started before this delivery to open its session.
                heard.Enqueue(opened.Wait(TimeSpan.FromSeconds(1)) ? "renewal opened during Expired" : "Expired");
            }
            else if (state == SessionState.Connected)
            {
                heard.Enqueue("Connected");
                connected.Release();
            }
        };

        Assert.True(store.ExpireSession(first.SessionId));
        Assert.True(await connected.WaitAsync(TimeSpan.FromSeconds(30)), "the session was renewed");

        Assert.Equal(["Expired", "Connected"], heard);
        Assert.NotEqual(first.SessionId, session.SessionId);
    }
}
