using System.Globalization;
using Samsa.Coordination.ZooKeeper;
using Samsa.Testing;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.ZooKeeper;

/// <summary>Sessions that idle and sessions that race.</summary>
[Collection(ZooKeeperCollection.Name)]
public sealed class ZooKeeperSessionTests(ZooKeeperEnsembleFixture ensemble)
{
    [Fact]
    public async Task Pings_keep_an_idle_session_alive_past_its_timeout()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        // A ping goes out after a third of the timeout without traffic and must be answered
        // within the next third. The suite runs beside the cluster tests' brokers and JVMs on 2
        // cores, where a 4-s session (about 1 s to answer, with the pings of the time) once lost its
        // connection (CI, 2026-11-27: Disconnected, Connected). With 10 s there are 3.3 s; stalls
        // of this process itself no longer count (ServerSilenceWatch), the server's still do.
        TimeSpan timeout = TimeSpan.FromSeconds(10);
        ZooKeeperClient idle = await ns.OpenSessionAsync(timeout);
        Assert.Equal(timeout, idle.NegotiatedSessionTimeout);
        var changes = new List<SessionState>();
        idle.SessionStateChanged += (_, state) =>
        {
            lock (changes)
            {
                changes.Add(state);
            }
        };
        await idle.CreateAsync("/alive", default, CreateMode.Ephemeral);

        // Nothing is sent for 2.5 timeouts except the client's pings.
        await Task.Delay(2.5 * timeout);

        Assert.Equal(idle.SessionId, (await ns.Store.ExistsAsync("/alive"))!.Value.EphemeralOwner);
        Assert.Equal(SessionState.Connected, idle.State);
        lock (changes)
        {
            Assert.Empty(changes);
        }
    }

    [Fact]
    public async Task Compare_and_set_from_several_sessions_loses_no_update()
    {
        await using ZooKeeperTestNamespace ns = await ZooKeeperTestNamespace.CreateAsync(ensemble);
        await ns.Store.CreateAsync("/counter", Bytes("0"), CreateMode.Persistent);
        const int sessions = 4;
        const int incrementsEach = 25;
        var clients = new ZooKeeperClient[sessions];
        for (int i = 0; i < sessions; i++)
        {
            clients[i] = await ns.OpenSessionAsync();
        }

        int conflicts = 0;
        await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            for (int done = 0; done < incrementsEach;)
            {
                NodeData current = (await client.GetDataAsync("/counter"))!;
                int value = int.Parse(Text(current.Data), CultureInfo.InvariantCulture);
                try
                {
                    await client.SetDataAsync("/counter", Bytes((value + 1).ToString(CultureInfo.InvariantCulture)), current.Stat.Version);
                    done++;
                }
                catch (CoordinationException e) when (e.Error == CoordinationError.BadVersion)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        })));

        // Reads are not linearizable across sessions: the reader's server may not have applied the
        // last writes yet, so sync first. Every successful compare-and-set bumps the version and
        // the value by one: a lost update would show as a value smaller than the version.
        await ns.Store.SyncAsync("/counter");
        NodeData final = (await ns.Store.GetDataAsync("/counter"))!;
        Assert.Equal(sessions * incrementsEach, final.Stat.Version);
        Assert.Equal(sessions * incrementsEach, int.Parse(Text(final.Data), CultureInfo.InvariantCulture));
    }
}
