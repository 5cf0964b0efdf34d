using Samsa.Broker.Controller;
using Samsa.Broker.Partitions;
using Samsa.Protocol;

namespace Samsa.Broker.Configuration;

/// <summary>
/// Changes a topic's overrides for AlterConfigs and IncrementalAlterConfigs: checks the topic,
/// applies an edit to the stored overrides, validates the result against
/// <see cref="TopicConfigDefinition"/> and writes it with compare-and-set (re-reading and
/// re-applying the edit when another writer got there first), then reloads this broker's logs at
/// once; other brokers follow the change notification. Stateless apart from its collaborators.
/// </summary>
internal sealed class TopicConfigEditor(TopicConfigStore store, TopicConfigWatcher watcher)
{
    /// <summary>Rounds of read-edit-write before giving up on a topic that keeps changing underneath.</summary>
    private const int MaxAttempts = 10;

    /// <summary>
    /// An edit: from the current overrides to the new set, or an error (the client's mistake) with
    /// its message. Runs again on every attempt.
    /// </summary>
    public delegate EditResult Edit(IReadOnlyDictionary<string, string> current);

    public readonly record struct EditResult(Dictionary<string, string>? Next, ErrorCode Error, string? Message)
    {
        public static EditResult Fail(ErrorCode error, string message) => new(null, error, message);
    }

    public async Task<(ErrorCode Error, string? Message)> AlterAsync(string topic, Edit edit, bool validateOnly, CancellationToken cancellationToken)
    {
        if (TopicNameRules.Validate(topic) is string nameError)
        {
            return (ErrorCode.InvalidTopicException, nameError);
        }

        if (!await store.TopicExistsAsync(topic, cancellationToken).ConfigureAwait(false))
        {
            return (ErrorCode.UnknownTopicOrPartition, $"Topic {topic} does not exist.");
        }

        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            TopicConfigStore.Overrides current = await store.ReadAsync(topic, cancellationToken).ConfigureAwait(false);
            EditResult result = edit(current.Config);
            if (result.Next is not { } next)
            {
                return (result.Error, result.Message);
            }

            if (TopicConfigDefinition.Validate(next) is string invalid)
            {
                return (ErrorCode.InvalidConfig, invalid);
            }

            if (validateOnly)
            {
                return (ErrorCode.None, null);
            }

            if (await store.TryReplaceAsync(topic, next, current.Version, cancellationToken).ConfigureAwait(false))
            {
                await watcher.ReloadTopicAsync(topic, cancellationToken).ConfigureAwait(false);
                return (ErrorCode.None, null);
            }
        }

        return (ErrorCode.UnknownServerError, $"The config of topic {topic} kept changing while it was being altered; try again.");
    }
}
