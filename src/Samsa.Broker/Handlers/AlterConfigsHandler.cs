using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// AlterConfigs (33), the legacy non-incremental form: a topic's override set, or a broker's
/// dynamic configs ("&lt;id&gt;" or "" for the cluster-wide defaults), is replaced by the one sent
/// (keys left out go back to the layer below).
/// </summary>
internal sealed class AlterConfigsHandler(TopicConfigEditor editor, BrokerConfigEditor brokerEditor) : RequestHandler<AlterConfigsRequestData, AlterConfigsResponseData>
{
    public override ApiKey ApiKey => ApiKey.AlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 2;

    protected override async ValueTask<AlterConfigsResponseData?> HandleAsync(RequestContext context, AlterConfigsRequestData request, CancellationToken cancellationToken)
    {
        var response = new AlterConfigsResponseData();
        foreach (AlterConfigsRequestData.AlterConfigsResource resource in request.Resources)
        {
            (ErrorCode error, string? message) = (ConfigResourceType)resource.ResourceType switch
            {
                ConfigResourceType.Topic => await StoreFailure.AnswerAsync(() => AlterAsync(resource, request.ValidateOnly, topic: true, cancellationToken), controller: null).ConfigureAwait(false),
                ConfigResourceType.Broker => await StoreFailure.AnswerAsync(() => AlterAsync(resource, request.ValidateOnly, topic: false, cancellationToken), controller: null).ConfigureAwait(false),
                _ => (ErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}"),
            };
            response.Responses.Add(new AlterConfigsResponseData.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }

        return response;
    }

    private Task<(ErrorCode, string?)> AlterAsync(AlterConfigsRequestData.AlterConfigsResource resource, bool validateOnly, bool topic, CancellationToken cancellationToken)
    {
        var next = new Dictionary<string, string>(StringComparer.Ordinal);
        var nulls = new List<string>();
        foreach (AlterConfigsRequestData.AlterableConfig config in resource.Configs)
        {
            if (config.Value is null)
            {
                nulls.Add(config.Name);
            }
            else
            {
                next[config.Name] = config.Value;
            }
        }

        if (nulls.Count > 0)
        {
            return Task.FromResult<(ErrorCode, string?)>((ErrorCode.InvalidRequest, $"Null value not supported for : {string.Join(", ", nulls)}"));
        }

        // The whole set is replaced, whatever is stored now.
        TopicConfigEditor.Edit replace = _ => new TopicConfigEditor.EditResult(next, ErrorCode.None, null);
        return topic
            ? editor.AlterAsync(resource.ResourceName, replace, validateOnly, cancellationToken)
            : brokerEditor.AlterAsync(resource.ResourceName, replace, validateOnly, cancellationToken);
    }
}
