using System.Text.RegularExpressions;
using Samsa.Broker.Configuration;

namespace Samsa.Broker.Tests.Configuration;

/// <summary>The shipped config/server.properties loads cleanly and documents only keys we know.</summary>
public sealed partial class ServerPropertiesFileTests
{
    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Samsa.slnx")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new InvalidOperationException("Samsa.slnx not found above the test output directory.");
    }

    [Fact]
    public void Loads_without_errors_or_warnings_in_standalone_mode()
    {
        PropertiesFile file = PropertiesFile.Load(RepoFile("config", "server.properties"));

        BrokerOptions options = BrokerOptions.Load(file.Values, out IReadOnlyList<string> warnings);

        Assert.Empty(warnings);
        Assert.True(options.IsStandalone);
        Assert.Equal(0, options.BrokerId);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "localhost", 9092)], options.Listeners);
        Assert.Equal(options.Listeners, options.AdvertisedListeners);
        Assert.Equal(["/tmp/kafka-logs"], options.LogDirs);
        Assert.Equal(1, options.OffsetsTopicReplicationFactor);
        Assert.Equal(1, options.TransactionStateLogReplicationFactor);
        Assert.Equal(1, options.TransactionStateLogMinIsr);
        Assert.Equal(0, options.GroupInitialRebalanceDelayMs);
    }

    [Fact]
    public void Every_key_set_is_known()
    {
        PropertiesFile file = PropertiesFile.Load(RepoFile("config", "server.properties"));

        Assert.NotEmpty(file.Values);
        foreach (string key in file.Values.Keys)
        {
            Assert.True(BrokerConfigDefinition.TryGetKey(key, out _), $"{key} is not a known key");
        }
    }

    [Fact]
    public void Every_commented_key_is_known_and_its_documented_default_is_the_tables()
    {
        string text = File.ReadAllText(RepoFile("config", "server.properties"));
        int documented = 0;
        foreach (Match match in CommentedKey().Matches(text))
        {
            string key = match.Groups[1].Value;
            string value = match.Groups[2].Value.Trim();
            Assert.True(BrokerConfigDefinition.TryGetKey(key, out ConfigKey definition), $"commented key {key} is not a known key");
            if (!value.StartsWith('(') && definition.DefaultValue is not null && key != "zookeeper.connect" && key != "zookeeper.connection.timeout.ms" && key != "advertised.listeners")
            {
                Assert.Equal(definition.DefaultValue, value);
            }

            documented++;
        }

        Assert.True(documented > 50);
    }

    [Fact]
    public void The_keys_listed_without_effect_are_exactly_the_ones_samsa_ignores()
    {
        string text = File.ReadAllText(RepoFile("config", "server.properties"));
        int section = text.IndexOf("# Accepted so Kafka files load, but without effect in Samsa", StringComparison.Ordinal);
        Assert.True(section >= 0, "server.properties has no 'without effect' section");
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match match in CommentedKey().Matches(text[section..]))
        {
            listed.Add(match.Groups[1].Value);
        }

        var ignored = new SortedSet<string>(StringComparer.Ordinal);
        foreach (ConfigKey key in BrokerConfigDefinition.Keys)
        {
            if (!key.ActedOn)
            {
                ignored.Add(key.Name);
            }
        }

        Assert.Equal(ignored, listed);
    }

    [GeneratedRegex(@"^# ([a-z]+(?:\.[a-z]+)+)=(.*)$", RegexOptions.Multiline)]
    private static partial Regex CommentedKey();
}
