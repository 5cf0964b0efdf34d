using Xunit;

namespace Samsa.Testing;

/// <summary>
/// An xunit collection (or class) fixture: one three-server <see cref="ZooKeeperEnsemble"/> shared by
/// the tests of a collection, started before the first and killed, with its data, after the last.
/// Tests keep to paths of their own (or a chroot of their own) so they do not see each other's nodes.
/// </summary>
public sealed class ZooKeeperEnsembleFixture : IAsyncLifetime
{
    private ZooKeeperEnsemble? _ensemble;

    public ZooKeeperEnsemble Ensemble => _ensemble ?? throw new InvalidOperationException("The ZooKeeper ensemble has not started.");

    public string ConnectString => Ensemble.ConnectString;

    public async Task InitializeAsync() => _ensemble = await ZooKeeperEnsemble.StartAsync(3).ConfigureAwait(false);

    public async Task DisposeAsync()
    {
        if (_ensemble is not null)
        {
            await _ensemble.DisposeAsync().ConfigureAwait(false);
        }
    }
}
