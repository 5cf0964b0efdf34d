using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// CreatePartitions (37): raises topics' partition counts through the controller, which places
/// the new replicas (or takes the request's assignment) and elects their leaders. A topic named
/// twice in one request is refused on its own; the others go ahead, as in Kafka.
/// </summary>
internal sealed class CreatePartitionsHandler(KafkaController controller, MetadataCache metadata) : RequestHandler<CreatePartitionsRequestData, CreatePartitionsResponseData>
{
    public override ApiKey ApiKey => ApiKey.CreatePartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<CreatePartitionsResponseData?> HandleAsync(RequestContext context, CreatePartitionsRequestData request, CancellationToken cancellationToken)
    {
        var response = new CreatePartitionsResponseData();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new HashSet<string>(StringComparer.Ordinal);
        foreach (CreatePartitionsRequestData.CreatePartitionsTopic topic in request.Topics)
        {
            if (!seen.Add(topic.Name))
            {
                duplicates.Add(topic.Name);
            }
        }

        foreach (CreatePartitionsRequestData.CreatePartitionsTopic topic in request.Topics)
        {
            if (duplicates.Contains(topic.Name))
            {
                continue;
            }

            List<int[]>? assignments = null;
            (ErrorCode error, string? message) = ValidateAssignments(topic, ref assignments);
            if (error == ErrorCode.None)
            {
                (error, message) = await StoreFailure.AnswerAsync(() => controller.CreatePartitionsAsync(topic.Name, topic.Count, assignments, request.ValidateOnly, cancellationToken), controller).ConfigureAwait(false);
            }

            response.Results.Add(new CreatePartitionsResponseData.CreatePartitionsTopicResult { Name = topic.Name, ErrorCode = (short)error, ErrorMessage = message });
        }

        foreach (string name in duplicates)
        {
            response.Results.Add(new CreatePartitionsResponseData.CreatePartitionsTopicResult
            {
                Name = name,
                ErrorCode = (short)ErrorCode.InvalidRequest,
                ErrorMessage = "Duplicate topic in request.",
            });
        }

        return response;
    }

    /// <summary>
    /// The request-only checks of Kafka's replica assignment validation (empty, duplicate brokers,
    /// a replication factor other than the topic's); the controller checks counts and brokers.
    /// </summary>
    private (ErrorCode, string?) ValidateAssignments(CreatePartitionsRequestData.CreatePartitionsTopic topic, ref List<int[]>? assignments)
    {
        if (topic.Assignments is not { Count: > 0 } requested)
        {
            return (ErrorCode.None, null);
        }

        TopicState? existing = metadata.Current.Topic(topic.Name);
        int factor = existing is { Partitions.Length: > 0 } ? existing.Partitions[0].Replicas.Length : -1;
        assignments = new List<int[]>(requested.Count);
        int firstNew = existing?.Partitions.Length ?? 0;
        for (int i = 0; i < requested.Count; i++)
        {
            int[] replicas = [.. requested[i].BrokerIds];
            int partition = firstNew + i;
            if (replicas.Length == 0)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Cannot have replication factor of 0 for partition id {partition}.");
            }

            if (new HashSet<int>(replicas).Count != replicas.Length)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Duplicate brokers not allowed in replica assignment: {string.Join(", ", replicas)} for partition id {partition}.");
            }

            if (factor != -1 && replicas.Length != factor)
            {
                return (ErrorCode.InvalidReplicaAssignment, $"Inconsistent replication factor between partitions, partition 0 has {factor} while partitions [{partition}] have replication factors [{replicas.Length}], respectively.");
            }

            assignments.Add(replicas);
        }

        return (ErrorCode.None, null);
    }
}
