using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// IncrementalAlterConfigs (44): SET, DELETE, APPEND and SUBTRACT on single keys of a topic's
/// overrides or of a broker's dynamic configs ("&lt;id&gt;", or "" for the cluster-wide defaults);
/// the rest stays. APPEND and SUBTRACT apply to list keys only (cleanup.policy, the
/// throttled-replica lists, log.cleanup.policy).
/// </summary>
internal sealed class IncrementalAlterConfigsHandler(TopicConfigEditor editor, BrokerConfigEditor brokerEditor) : RequestHandler<IncrementalAlterConfigsRequestData, IncrementalAlterConfigsResponseData>
{
    private const sbyte Set = 0;
    private const sbyte Delete = 1;
    private const sbyte Append = 2;
    private const sbyte Subtract = 3;

    public override ApiKey ApiKey => ApiKey.IncrementalAlterConfigs;

    public override short MinVersion => 0;

    public override short MaxVersion => 1;

    protected override async ValueTask<IncrementalAlterConfigsResponseData?> HandleAsync(RequestContext context, IncrementalAlterConfigsRequestData request, CancellationToken cancellationToken)
    {
        var response = new IncrementalAlterConfigsResponseData();
        foreach (IncrementalAlterConfigsRequestData.AlterConfigsResource resource in request.Resources)
        {
            (ErrorCode error, string? message) = (ConfigResourceType)resource.ResourceType switch
            {
                ConfigResourceType.Topic => await StoreFailure.AnswerAsync(() => AlterAsync(resource, request.ValidateOnly, topic: true, cancellationToken), controller: null).ConfigureAwait(false),
                ConfigResourceType.Broker => await StoreFailure.AnswerAsync(() => AlterAsync(resource, request.ValidateOnly, topic: false, cancellationToken), controller: null).ConfigureAwait(false),
                _ => (ErrorCode.InvalidRequest, $"Unsupported resource type: {resource.ResourceType}"),
            };
            response.Responses.Add(new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorCode = (short)error,
                ErrorMessage = message,
            });
        }

        return response;
    }

    private Task<(ErrorCode, string?)> AlterAsync(IncrementalAlterConfigsRequestData.AlterConfigsResource resource, bool validateOnly, bool topic, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (IncrementalAlterConfigsRequestData.AlterableConfig config in resource.Configs)
        {
            if (!names.Add(config.Name))
            {
                return Task.FromResult<(ErrorCode, string?)>((ErrorCode.InvalidRequest, "Error due to duplicate config keys"));
            }
        }

        List<IncrementalAlterConfigsRequestData.AlterableConfig> operations = resource.Configs;
        return topic
            ? editor.AlterAsync(resource.ResourceName, current => Apply(current, operations, topic: true), validateOnly, cancellationToken)
            : brokerEditor.AlterAsync(resource.ResourceName, current => Apply(current, operations, topic: false), validateOnly, cancellationToken);
    }

    /// <summary>The operations applied to the current overrides, in request order (Kafka's prepareIncrementalConfigs).</summary>
    private static TopicConfigEditor.EditResult Apply(IReadOnlyDictionary<string, string> current, List<IncrementalAlterConfigsRequestData.AlterableConfig> operations, bool topic)
    {
        var next = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (IncrementalAlterConfigsRequestData.AlterableConfig op in operations)
        {
            if (op.ConfigOperation is Delete)
            {
                next.Remove(op.Name);
                continue;
            }

            if (op.ConfigOperation is not (Set or Append or Subtract))
            {
                return TopicConfigEditor.EditResult.Fail(ErrorCode.InvalidRequest, $"Unknown alter config operation type {op.ConfigOperation} for config key: {op.Name}");
            }

            if (op.Value is null)
            {
                return TopicConfigEditor.EditResult.Fail(ErrorCode.InvalidRequest, $"Null value not supported for : {op.Name}");
            }

            if (op.ConfigOperation is Set)
            {
                next[op.Name] = op.Value;
                continue;
            }

            ConfigKey key;
            if (topic && TopicConfigDefinition.TryGetKey(op.Name, out TopicConfigKey topicKey))
            {
                key = topicKey.Key;
            }
            else if (topic || !BrokerConfigDefinition.TryGetKey(op.Name, out key))
            {
                return TopicConfigEditor.EditResult.Fail(ErrorCode.InvalidConfig, $"Unknown {(topic ? "topic" : "broker")} config name: {op.Name}");
            }

            if (key.Type != ConfigType.List)
            {
                string verb = op.ConfigOperation is Append ? "append" : "subtract";
                return TopicConfigEditor.EditResult.Fail(ErrorCode.InvalidRequest, $"Config value {verb} is not allowed for config key: {op.Name}");
            }

            List<string> items = SplitList(next.GetValueOrDefault(op.Name) ?? (op.ConfigOperation is Append ? key.DefaultValue : null));
            foreach (string item in SplitList(op.Value))
            {
                if (op.ConfigOperation is Append)
                {
                    if (!items.Contains(item))
                    {
                        items.Add(item);
                    }
                }
                else
                {
                    items.Remove(item);
                }
            }

            next[op.Name] = string.Join(',', items);
        }

        return new TopicConfigEditor.EditResult(next, ErrorCode.None, null);
    }

    private static List<string> SplitList(string? text)
    {
        var items = new List<string>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return items;
        }

        foreach (string part in text.Split(','))
        {
            string item = part.Trim();
            if (item.Length > 0)
            {
                items.Add(item);
            }
        }

        return items;
    }
}
