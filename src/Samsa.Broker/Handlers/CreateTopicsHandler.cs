using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>CreateTopics (19): hands the topics to the controller and reports per-topic outcomes.</summary>
internal sealed class CreateTopicsHandler(KafkaController controller) : RequestHandler<CreateTopicsRequestData, CreateTopicsResponseData>
{
    public override ApiKey ApiKey => ApiKey.CreateTopics;

    public override short MinVersion => 2;

    public override short MaxVersion => 7;

    protected override async ValueTask<CreateTopicsResponseData?> HandleAsync(RequestContext context, CreateTopicsRequestData request, CancellationToken cancellationToken)
    {
        var response = new CreateTopicsResponseData();
        var creations = new List<TopicCreation>(request.Topics.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new HashSet<string>(StringComparer.Ordinal);
        foreach (CreateTopicsRequestData.CreatableTopic topic in request.Topics)
        {
            if (!seen.Add(topic.Name))
            {
                duplicates.Add(topic.Name);
            }
        }

        foreach (CreateTopicsRequestData.CreatableTopic topic in request.Topics)
        {
            if (duplicates.Contains(topic.Name))
            {
                continue;
            }

            Dictionary<int, int[]>? assignment = null;
            if (topic.Assignments.Count > 0)
            {
                assignment = [];
                foreach (CreateTopicsRequestData.CreatableReplicaAssignment a in topic.Assignments)
                {
                    assignment[a.PartitionIndex] = [.. a.BrokerIds];
                }
            }

            var configs = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (CreateTopicsRequestData.CreatableTopicConfig config in topic.Configs)
            {
                if (config.Value is not null)
                {
                    configs[config.Name] = config.Value;
                }
            }

            creations.Add(new TopicCreation(topic.Name, topic.NumPartitions, topic.ReplicationFactor, assignment, configs));
        }

        IReadOnlyList<TopicCreationResult> results = creations.Count == 0
            ? []
            : await CreateAsync(creations, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        foreach (TopicCreationResult result in results)
        {
            var entry = new CreateTopicsResponseData.CreatableTopicResult
            {
                Name = result.Name,
                TopicId = result.TopicId,
                ErrorCode = (short)result.Error,
                ErrorMessage = result.Message,
            };
            if (result.Error == ErrorCode.None)
            {
                entry.NumPartitions = result.NumPartitions;
                entry.ReplicationFactor = (short)result.ReplicationFactor;
            }

            response.Topics.Add(entry);
        }

        foreach (string name in duplicates)
        {
            response.Topics.Add(new CreateTopicsResponseData.CreatableTopicResult
            {
                Name = name,
                ErrorCode = (short)ErrorCode.InvalidRequest,
                ErrorMessage = $"Create topics request from client `{context.ClientId}` contains multiple entries for the following topics: {name}",
            });
        }

        return response;
    }

    /// <summary>
    /// The controller's creation; a store failure it could not ride out answers every topic as
    /// <see cref="StoreFailure"/> says. The topics may or may not exist afterwards.
    /// </summary>
    private Task<IReadOnlyList<TopicCreationResult>> CreateAsync(List<TopicCreation> creations, bool validateOnly, CancellationToken cancellationToken) =>
        StoreFailure.AnswerAsync(
            () => controller.CreateTopicsAsync(creations, validateOnly, cancellationToken),
            controller,
            (error, message) => creations.ConvertAll(creation => TopicCreationResult.Failed(creation.Name, error, message)));
}
