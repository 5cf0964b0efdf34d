using Samsa.Coordination;

namespace Samsa.Broker.Controller;

/// <summary>
/// Riding out a dropped connection to the coordination store (a ZooKeeper leader election, say):
/// the controller's and the config stores' writes share this one loop. Reads need none: the
/// ZooKeeper client resends them itself once connected (docs/coordination.md).
/// </summary>
internal static class ConnectionLoss
{
    /// <summary>How often a write whose answer was lost is sent before the loss is the caller's.</summary>
    public const int MaxAttempts = 5;

    /// <inheritdoc cref="ResendAsync{T}"/>
    public static Task ResendAsync(Func<Task> write) =>
        ResendAsync(async () =>
        {
            await write().ConfigureAwait(false);
            return true;
        });

    /// <summary>
    /// Runs a write, again (the client first waits for the session to be connected) while the
    /// connection was lost before its answer, up to <see cref="MaxAttempts"/> times. The write may
    /// have been applied by an attempt whose answer was lost: the caller reads a NodeExists, NoNode
    /// or BadVersion that follows such a loss accordingly.
    /// </summary>
    public static async Task<T> ResendAsync<T>(Func<Task<T>> write)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await write().ConfigureAwait(false);
            }
            catch (CoordinationException e) when (e.Error == CoordinationError.ConnectionLoss && attempt < MaxAttempts)
            {
            }
        }
    }
}
