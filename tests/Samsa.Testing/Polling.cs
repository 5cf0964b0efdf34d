using System.Diagnostics;
using System.Globalization;

namespace Samsa.Testing;

/// <summary>
/// Waiting for something another thread or process makes true: the condition is asked again every
/// interval until it holds or the time is up, instead of a sleep that hopes. A wait gives up only
/// on an answer that came after the time was up.
/// </summary>
public static class Polling
{
    /// <summary>How often a condition is asked unless the caller says otherwise.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Waits until <paramref name="condition"/> holds; a <see cref="TimeoutException"/> naming <paramref name="what"/> if not within <paramref name="within"/>.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan within, string what, CancellationToken cancellationToken = default) =>
        UntilAsync(Asynchronous(condition), within, what, cancellationToken);

    /// <inheritdoc cref="UntilAsync(Func{bool}, TimeSpan, string, CancellationToken)"/>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan within, string what, CancellationToken cancellationToken = default)
    {
        if (!await TryUntilAsync(condition, within, DefaultInterval, cancellationToken).ConfigureAwait(false))
        {
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"Timed out after {within.TotalSeconds:0.#} s waiting until {what}."));
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds: true, or false if it still does not after <paramref name="within"/>.</summary>
    public static Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan within, CancellationToken cancellationToken = default) =>
        TryUntilAsync(Asynchronous(condition), within, DefaultInterval, cancellationToken);

    /// <inheritdoc cref="TryUntilAsync(Func{Task{bool}}, TimeSpan, TimeSpan, CancellationToken)"/>
    public static Task<bool> TryUntilAsync(Func<bool> condition, TimeSpan within, TimeSpan interval, CancellationToken cancellationToken) =>
        TryUntilAsync(Asynchronous(condition), within, interval, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds, asking every <paramref name="interval"/>: true,
    /// or false if it still does not after <paramref name="within"/>. Cancellation throws.
    /// </summary>
    public static async Task<bool> TryUntilAsync(Func<Task<bool>> condition, TimeSpan within, TimeSpan interval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (clock.Elapsed >= within)
            {
                return false;
            }

            await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    private static Func<Task<bool>> Asynchronous(Func<bool> condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return () => Task.FromResult(condition());
    }
}
