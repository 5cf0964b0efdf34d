namespace Samsa.Coordination.Embedded;

/// <summary>
/// One callback queued on the <see cref="WatchDispatcher"/>: a watch event for
/// <see cref="Watcher"/>, or (when <see cref="Session"/> is set) a state change of that session.
/// </summary>
internal readonly record struct WatchDelivery(IWatcher? Watcher, WatchEvent Event, EmbeddedSession? Session = null, SessionState State = SessionState.Connected)
{
    public static WatchDelivery StateChange(EmbeddedSession session, SessionState state) => new(null, default, session, state);

    public void Deliver()
    {
        if (Session is not null)
        {
            Session.RaiseStateChanged(State);
        }
        else
        {
            Watcher!.Process(Event);
        }
    }
}
