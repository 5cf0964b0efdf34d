using Microsoft.Extensions.Logging;

namespace Samsa.Coordination.ZooKeeper;

/// <summary>Creating the chroot of a connect string, as a Kafka broker does before it connects with it.</summary>
public sealed partial class ZooKeeperClient
{
    /// <summary>
    /// Makes sure the chroot of <paramref name="options"/>' connect string exists: connects without
    /// the chroot, creates each missing segment as a persistent node (a node created meanwhile by
    /// someone else is fine) and closes that session. Does nothing when there is no chroot.
    /// </summary>
    public static async Task EnsureChrootAsync(ZooKeeperClientOptions options, ILogger? logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        string connect = options.ConnectString.Trim();
        int slash = connect.IndexOf('/', StringComparison.Ordinal);
        string? chroot = ConnectString.Parse(connect).Chroot;
        if (chroot is null)
        {
            return;
        }

        var rootOptions = new ZooKeeperClientOptions
        {
            ConnectString = connect[..slash],
            SessionTimeout = options.SessionTimeout,
            ConnectionTimeout = options.ConnectionTimeout,
            MaxFrameLength = options.MaxFrameLength,
        };
        ZooKeeperClient client = await ConnectAsync(rootOptions, logger, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            for (int end = chroot.IndexOf('/', 1); ; end = chroot.IndexOf('/', end + 1))
            {
                string path = end < 0 ? chroot : chroot[..end];
                if (await client.ExistsAsync(path, null, cancellationToken).ConfigureAwait(false) is null)
                {
                    try
                    {
                        await client.CreateAsync(path, default, CreateMode.Persistent, cancellationToken).ConfigureAwait(false);
                    }
                    catch (CoordinationException e) when (e.Error == CoordinationError.NodeExists)
                    {
                        // Another broker created it first.
                    }
                }

                if (end < 0)
                {
                    return;
                }
            }
        }
    }
}
