using System.Text;
using Samsa.Coordination.Embedded;
using Samsa.Testing;

namespace Samsa.Coordination.Tests;

/// <summary>An embedded store in a temp directory of its own, with a manual clock.</summary>
internal sealed class StoreFixture : IAsyncDisposable
{
    public StoreFixture(int transactionsPerSnapshot = EmbeddedCoordinationStore.DefaultTransactionsPerSnapshot)
    {
        TransactionsPerSnapshot = transactionsPerSnapshot;
        Store = EmbeddedCoordinationStore.Open(Directory.Path, Clock, transactionsPerSnapshot);
    }

    public TempDirectory Directory { get; } = new("coordination");

    public ManualClock Clock { get; } = new();

    public int TransactionsPerSnapshot { get; }

    public EmbeddedCoordinationStore Store { get; private set; }

    public string LogPath => Directory.Combine("coordination.log");

    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = EmbeddedCoordinationStore.Open(Directory.Path, Clock, TransactionsPerSnapshot);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Dispose();
    }

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(ReadOnlyMemory<byte> data) => Encoding.UTF8.GetString(data.Span);

    /// <summary>
    /// Waits until every event queued before this call has been delivered: the delivery loop is
    /// in order, so once a watch set now has fired, all earlier events are through.
    /// </summary>
    public static async Task DrainEventsAsync(ICoordinationStore store)
    {
        string path = "/__drain-" + Guid.NewGuid().ToString("N");
        RecordingWatcher barrier = new();
        await store.ExistsAsync(path, barrier);
        await store.CreateAsync(path, default, CreateMode.Persistent);
        await barrier.NextAsync();
        await store.DeleteAsync(path);
    }
}
