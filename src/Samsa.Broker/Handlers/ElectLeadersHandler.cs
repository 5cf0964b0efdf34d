using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// ElectLeaders (43): preferred (0) or unclean (1) leader election for the listed partitions, or
/// for all when the list is null. As in ZooKeeper-mode Kafka the controller does the work; any
/// other broker answers NOT_CONTROLLER, and the admin client retries against the controller.
/// </summary>
internal sealed class ElectLeadersHandler(KafkaController controller) : RequestHandler<ElectLeadersRequestData, ElectLeadersResponseData>
{
    public override ApiKey ApiKey => ApiKey.ElectLeaders;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<ElectLeadersResponseData?> HandleAsync(RequestContext context, ElectLeadersRequestData request, CancellationToken cancellationToken)
    {
        var response = new ElectLeadersResponseData();

        // v0 has no election type: always preferred.
        sbyte type = context.ApiVersion == 0 ? KafkaController.PreferredElection : request.ElectionType;
        if (type is not KafkaController.PreferredElection and not KafkaController.UncleanElection)
        {
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
            return response;
        }

        List<(string Topic, int Partition)>? partitions = null;
        if (request.TopicPartitions is not null)
        {
            partitions = [];
            foreach (ElectLeadersRequestData.TopicPartitionsData topic in request.TopicPartitions)
            {
                foreach (int partition in topic.Partitions)
                {
                    partitions.Add((topic.Topic, partition));
                }
            }
        }

        // Null from a fenced controller too: it resigned, and the client asks the new one.
        IReadOnlyList<PartitionElectionResult>? results = await StoreFailure.AnswerAsync(
            () => controller.ElectLeadersAsync(type, partitions, cancellationToken),
            controller,
            (error, message) => error == ErrorCode.NotController ? null : Failed(partitions ?? [], error, message)).ConfigureAwait(false);
        if (results is null)
        {
            // Not the controller: every partition asked for says so (and, for v1+, the request as a whole).
            if (context.ApiVersion >= 1)
            {
                response.ErrorCode = (short)ErrorCode.NotController;
            }

            results = Failed(partitions ?? [], ErrorCode.NotController, "This is not the correct controller for this cluster.");
        }

        var byTopic = new Dictionary<string, ElectLeadersResponseData.ReplicaElectionResult>(StringComparer.Ordinal);
        foreach (PartitionElectionResult result in results)
        {
            if (!byTopic.TryGetValue(result.Topic, out ElectLeadersResponseData.ReplicaElectionResult? topic))
            {
                topic = new ElectLeadersResponseData.ReplicaElectionResult { Topic = result.Topic };
                byTopic[result.Topic] = topic;
                response.ReplicaElectionResults.Add(topic);
            }

            topic.PartitionResult.Add(new ElectLeadersResponseData.PartitionResult { PartitionId = result.Partition, ErrorCode = (short)result.Error, ErrorMessage = result.Message });
        }

        return response;
    }

    private static List<PartitionElectionResult> Failed(List<(string Topic, int Partition)> partitions, ErrorCode error, string message) =>
        partitions.ConvertAll(p => new PartitionElectionResult(p.Topic, p.Partition, error, message));
}
