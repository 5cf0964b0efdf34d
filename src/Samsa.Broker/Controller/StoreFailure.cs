using Samsa.Coordination;
using Samsa.Protocol;

namespace Samsa.Broker.Controller;

/// <summary>
/// The answer to an admin request whose coordination-store work failed for good (the session
/// expired, the connection kept dropping past <see cref="ConnectionLoss.MaxAttempts"/>): per
/// resource REQUEST_TIMED_OUT, or NOT_CONTROLLER once this broker's controller was fenced by a
/// newer one and resigned, instead of an exception that drops the client's connection. The
/// change may or may not have been made; the client's retry finds out.
/// </summary>
/// <remarks>
/// Kafka 3.1 in ZooKeeper mode rides out ConnectionLoss inside its ZooKeeper client and answers
/// what still fails per resource too: DeleteTopics, AlterConfigs and DescribeConfigs with
/// UNKNOWN_SERVER_ERROR (ZkAdminManager's <c>ApiError.fromThrowable</c> of a ZooKeeper client
/// exception), CreatePartitions with UNKNOWN_SERVER_ERROR for every topic (the error escapes to
/// KafkaApis' handleError), and any of them whose work was still unfinished at the request's
/// timeout REQUEST_TIMED_OUT. We answer REQUEST_TIMED_OUT throughout, as for CreateTopics: the
/// outcome is unknown, and clients treat it as retriable where UNKNOWN_SERVER_ERROR is not.
/// </remarks>
internal static class StoreFailure
{
    public static string Message(CoordinationException e) => $"The cluster metadata store failed: {e.Message}";

    /// <summary>Runs single-resource <paramref name="work"/>; a store failure becomes its answer.</summary>
    /// <param name="controller">The controller the work went through, or null for work that does not (config changes).</param>
    public static Task<(ErrorCode Error, string? Message)> AnswerAsync(Func<Task<(ErrorCode Error, string? Message)>> work, KafkaController? controller) =>
        AnswerAsync(work, controller, (error, message) => (error, (string?)message));

    /// <summary>Runs <paramref name="work"/>; a store failure becomes <paramref name="failed"/>'s answer for the error and message.</summary>
    /// <param name="controller">The controller the work went through, or null for work that does not (config changes).</param>
    public static async Task<T> AnswerAsync<T>(Func<Task<T>> work, KafkaController? controller, Func<ErrorCode, string, T> failed)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (CoordinationException e)
        {
            // A controller fenced by a newer one (its epoch check failed) resigned: the client asks the new one.
            return failed(controller is { IsActive: false } ? ErrorCode.NotController : ErrorCode.RequestTimedOut, Message(e));
        }
    }
}
