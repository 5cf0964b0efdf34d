using Samsa.Broker.Controller;
using Samsa.Broker.Metadata;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;
using Samsa.Protocol.Primitives;

namespace Samsa.Broker.Handlers;

/// <summary>DeleteTopics (20): by name (v1-5) or by name or id (v6+), through the controller.</summary>
internal sealed class DeleteTopicsHandler(KafkaController controller, MetadataCache metadata) : RequestHandler<DeleteTopicsRequestData, DeleteTopicsResponseData>
{
    public override ApiKey ApiKey => ApiKey.DeleteTopics;

    public override short MinVersion => 1;

    public override short MaxVersion => 6;

    protected override async ValueTask<DeleteTopicsResponseData?> HandleAsync(RequestContext context, DeleteTopicsRequestData request, CancellationToken cancellationToken)
    {
        var response = new DeleteTopicsResponseData();
        var names = new List<string>();
        if (context.ApiVersion >= 6)
        {
            MetadataCache.Snapshot snapshot = metadata.Current;
            foreach (DeleteTopicsRequestData.DeleteTopicState topic in request.Topics)
            {
                string? name = topic.Name ?? snapshot.Topic(topic.TopicId)?.Name;
                if (name is null)
                {
                    response.Responses.Add(new DeleteTopicsResponseData.DeletableTopicResult { TopicId = topic.TopicId, ErrorCode = (short)ErrorCode.UnknownTopicId, ErrorMessage = "This server does not host this topic ID." });
                    continue;
                }

                names.Add(name);
            }
        }
        else
        {
            names.AddRange(request.TopicNames);
        }

        if (names.Count == 0)
        {
            return response;
        }

        IReadOnlyList<(string Topic, Uuid TopicId, ErrorCode Error, string? Message)> results = await StoreFailure.AnswerAsync(
            () => controller.DeleteTopicsAsync(names, cancellationToken),
            controller,
            (error, message) => names.ConvertAll(name => (name, Uuid.Zero, error, (string?)message))).ConfigureAwait(false);
        foreach ((string topic, Uuid topicId, ErrorCode error, string? message) in results)
        {
            response.Responses.Add(new DeleteTopicsResponseData.DeletableTopicResult { Name = topic, TopicId = topicId, ErrorCode = (short)error, ErrorMessage = message });
        }

        return response;
    }
}
