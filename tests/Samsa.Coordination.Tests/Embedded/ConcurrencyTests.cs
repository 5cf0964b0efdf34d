using System.Globalization;
using static Samsa.Coordination.Tests.StoreFixture;

namespace Samsa.Coordination.Tests.Embedded;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Concurrent_compare_and_set_writers_lose_no_update_and_zxids_stay_unique()
    {
        await using StoreFixture f = new(transactionsPerSnapshot: 50);
        await f.Store.CreateAsync("/counter", Bytes("0"), CreateMode.Persistent);
        await f.Store.CreateAsync("/made", default, CreateMode.Persistent);
        const int writers = 8;
        const int incrementsEach = 25;

        async Task<List<long>> Writer(ICoordinationStore session, int id)
        {
            List<long> zxids = [];
            for (int i = 0; i < incrementsEach; i++)
            {
                while (true)
                {
                    NodeData current = (await session.GetDataAsync("/counter"))!;
                    int value = int.Parse(Text(current.Data), CultureInfo.InvariantCulture);
                    try
                    {
                        NodeStat stat = await session.SetDataAsync("/counter", Bytes((value + 1).ToString(CultureInfo.InvariantCulture)), current.Stat.Version);
                        zxids.Add(stat.Mzxid);
                        break;
                    }
                    catch (CoordinationException e) when (e.Error == CoordinationError.BadVersion)
                    {
                        // Lost the race: read again.
                    }
                }

                string created = await session.CreateAsync($"/made/w{id}-", default, CreateMode.PersistentSequential);
                zxids.Add((await session.ExistsAsync(created))!.Value.Czxid);
            }

            return zxids;
        }

        List<ICoordinationStore> sessions = [];
        for (int i = 0; i < writers; i++)
        {
            sessions.Add(f.Store.OpenSession());
        }

        List<long>[] results = await Task.WhenAll(sessions.Select((s, i) => Task.Run(() => Writer(s, i))));

        NodeData counter = (await f.Store.GetDataAsync("/counter"))!;
        Assert.Equal(writers * incrementsEach, int.Parse(Text(counter.Data), CultureInfo.InvariantCulture));
        Assert.Equal(writers * incrementsEach, counter.Stat.Version);
        long[] all = [.. results.SelectMany(z => z)];
        Assert.Equal(all.Length, all.Distinct().Count());
        IReadOnlyList<string> made = (await f.Store.GetChildrenAsync("/made"))!;
        Assert.Equal(writers * incrementsEach, made.Count);
        Assert.Equal(made.Count, made.Select(name => name[^10..]).Distinct().Count());

        // And the same state comes back from disk.
        await f.ReopenAsync();
        Assert.Equal(writers * incrementsEach, (await f.Store.GetDataAsync("/counter"))!.Stat.Version);
        Assert.Equal(writers * incrementsEach, (await f.Store.GetChildrenAsync("/made"))!.Count);
    }

    [Fact]
    public async Task Only_one_of_many_sessions_wins_an_ephemeral_election()
    {
        await using StoreFixture f = new();
        List<ICoordinationStore> sessions = [];
        for (int i = 0; i < 10; i++)
        {
            sessions.Add(f.Store.OpenSession());
        }

        async Task<bool> TryElect(ICoordinationStore session)
        {
            try
            {
                await session.CreateAsync("/controller", default, CreateMode.Ephemeral);
                return true;
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
            {
                return false;
            }
        }

        bool[] won = await Task.WhenAll(sessions.Select(s => Task.Run(() => TryElect(s))));
        Assert.Equal(1, won.Count(w => w));
        long owner = (await f.Store.ExistsAsync("/controller"))!.Value.EphemeralOwner;
        Assert.Equal(sessions[Array.IndexOf(won, true)].SessionId, owner);
    }
}
