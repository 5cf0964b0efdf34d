namespace Samsa.Cli.Tools;

/// <summary>
/// The exit code a tool stopped by a signal ends with: the JVM's 128 + signal number (130 for
/// Ctrl-C, 143 for SIGTERM), after the tool's own shutdown work, as Kafka's shutdown hooks do.
/// Program sets it from the signal handler before cancelling the tools' token.
/// </summary>
internal static class Shutdown
{
    public const int SigInt = 130;
    public const int SigTerm = 143;

    private static int _exitCode = SigInt;

    public static int ExitCode
    {
        get => Volatile.Read(ref _exitCode);
        set => Volatile.Write(ref _exitCode, value);
    }
}
