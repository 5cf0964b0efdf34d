using System.Globalization;
using Samsa.Broker.Configuration;
using Samsa.Broker.Controller;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// DescribeConfigs (32): a topic's every config with its value and source (its overrides read from
/// the coordination store, so a change is visible at once), this broker's every config (resource
/// "&lt;id&gt;", its own id only, as in Kafka) and the cluster-wide dynamic defaults (resource ""),
/// with the dynamic broker configs as this broker last applied them.
/// </summary>
internal sealed class DescribeConfigsHandler(DynamicBrokerConfig brokerConfig, TopicConfigStore topicConfigs) : RequestHandler<DescribeConfigsRequestData, DescribeConfigsResponseData>
{
    public override ApiKey ApiKey => ApiKey.DescribeConfigs;

    public override short MinVersion => 1;

    public override short MaxVersion => 4;

    protected override async ValueTask<DescribeConfigsResponseData?> HandleAsync(RequestContext context, DescribeConfigsRequestData request, CancellationToken cancellationToken)
    {
        var response = new DescribeConfigsResponseData();
        foreach (DescribeConfigsRequestData.DescribeConfigsResource resource in request.Resources)
        {
            var result = new DescribeConfigsResponseData.DescribeConfigsResult
            {
                ResourceType = resource.ResourceType,
                ResourceName = resource.ResourceName,
                ErrorMessage = null,
            };
            (ErrorCode error, string? message, List<ConfigEntry>? entries) = await StoreFailure.AnswerAsync(
                () => DescribeAsync(resource, cancellationToken).AsTask(),
                controller: null,
                (failure, text) => (failure, (string?)text, (List<ConfigEntry>?)null)).ConfigureAwait(false);
            result.ErrorCode = (short)error;
            result.ErrorMessage = message;
            if (entries is not null)
            {
                foreach (ConfigEntry entry in entries)
                {
                    if (resource.ConfigurationKeys is null || resource.ConfigurationKeys.Contains(entry.Name))
                    {
                        result.Configs.Add(ToWire(entry, request.IncludeSynonyms, request.IncludeDocumentation));
                    }
                }
            }

            response.Results.Add(result);
        }

        return response;
    }

    private async ValueTask<(ErrorCode, string?, List<ConfigEntry>?)> DescribeAsync(DescribeConfigsRequestData.DescribeConfigsResource resource, CancellationToken cancellationToken)
    {
        switch ((ConfigResourceType)resource.ResourceType)
        {
            case ConfigResourceType.Topic:
                string topic = resource.ResourceName;
                if (TopicNameRules.Validate(topic) is string nameError)
                {
                    return (ErrorCode.InvalidTopicException, nameError, null);
                }

                if (!await topicConfigs.TopicExistsAsync(topic, cancellationToken).ConfigureAwait(false))
                {
                    return (ErrorCode.UnknownTopicOrPartition, $"The topic '{topic}' does not exist.", null);
                }

                TopicConfigStore.Overrides overrides = await topicConfigs.ReadAsync(topic, cancellationToken).ConfigureAwait(false);
                return (ErrorCode.None, null, EffectiveConfig.ForTopic(brokerConfig.Layers, overrides.Config));

            case ConfigResourceType.Broker:
                string name = resource.ResourceName;
                if (name.Length == 0)
                {
                    return (ErrorCode.None, null, EffectiveConfig.ForClusterDefaults(brokerConfig.Layers));
                }

                if (!int.TryParse(name, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int brokerId))
                {
                    return (ErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {name}", null);
                }

                if (brokerId != brokerConfig.BrokerId)
                {
                    return (ErrorCode.InvalidRequest, $"Unexpected broker id, expected {brokerConfig.BrokerId} or empty string, but received {name}", null);
                }

                return (ErrorCode.None, null, EffectiveConfig.ForBroker(brokerConfig.Layers));

            default:
                return (ErrorCode.InvalidRequest, $"Unsupported resource type: {ResourceTypeName(resource.ResourceType)}", null);
        }
    }

    private static DescribeConfigsResponseData.DescribeConfigsResourceResult ToWire(ConfigEntry entry, bool includeSynonyms, bool includeDocumentation)
    {
        var wire = new DescribeConfigsResponseData.DescribeConfigsResourceResult
        {
            Name = entry.Name,
            Value = entry.Value,
            ReadOnly = entry.ReadOnly,
            ConfigSource = (sbyte)entry.Source,
            IsSensitive = entry.Sensitive,
            ConfigType = WireType(entry.Type),
            Documentation = includeDocumentation ? entry.Documentation : null,
        };
        if (includeSynonyms)
        {
            foreach (ConfigSynonym synonym in entry.Synonyms)
            {
                wire.Synonyms.Add(new DescribeConfigsResponseData.DescribeConfigsSynonym
                {
                    Name = synonym.Name,
                    Value = synonym.Value,
                    Source = (sbyte)synonym.Source,
                });
            }
        }

        return wire;
    }

    /// <summary>Kafka's <c>DescribeConfigsResponse.ConfigType</c> ids (v3+).</summary>
    private static sbyte WireType(ConfigType type) => type switch
    {
        ConfigType.Boolean => 1,
        ConfigType.String => 2,
        ConfigType.Int => 3,
        ConfigType.Short => 4,
        ConfigType.Long => 5,
        ConfigType.Double => 6,
        ConfigType.List => 7,
        ConfigType.Password => 9,
        _ => 0,
    };

    private static string ResourceTypeName(sbyte type) => (ConfigResourceType)type switch
    {
        ConfigResourceType.BrokerLogger => "BROKER_LOGGER",
        ConfigResourceType.Unknown => "UNKNOWN",
        _ => type.ToString(CultureInfo.InvariantCulture),
    };
}
