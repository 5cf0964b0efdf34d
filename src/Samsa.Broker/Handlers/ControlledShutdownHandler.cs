using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ControlledShutdown (7, inter-broker, answered by the controller): a stopping broker asks for its
/// leaderships to move; the answer lists those that could not. NOT_CONTROLLER elsewhere. Versions
/// 1+ (v0 requests come without a client id in the header, which our brokers never send).
/// </summary>
internal sealed class ControlledShutdownHandler(KafkaController controller) : RequestHandler<ControlledShutdownRequestData, ControlledShutdownResponseData>
{
    public override ApiKey ApiKey => ApiKey.ControlledShutdown;

    public override short MinVersion => 1;

    public override short MaxVersion => 3;

    protected override async ValueTask<ControlledShutdownResponseData?> HandleAsync(RequestContext context, ControlledShutdownRequestData request, CancellationToken cancellationToken)
    {
        // A store failure answers an error the stopping broker retries, not a dropped connection.
        (ErrorCode error, IReadOnlyList<(string Topic, int Partition)> remaining) = await StoreFailure.AnswerAsync(
            () => controller.ControlledShutdownAsync(request.BrokerId, request.BrokerEpoch, cancellationToken),
            controller,
            (failure, _) => (failure, (IReadOnlyList<(string Topic, int Partition)>)[])).ConfigureAwait(false);
        var response = new ControlledShutdownResponseData { ErrorCode = (short)error };
        foreach ((string topic, int partition) in remaining)
        {
            response.RemainingPartitions.Add(new ControlledShutdownResponseData.RemainingPartition { TopicName = topic, PartitionIndex = partition });
        }

        return response;
    }
}
