using System.Xml.Linq;

namespace Samsa.Integration.Tests;

/// <summary>
/// Dependencies point down (docs/style.md, section 1): each project may reference only the
/// projects below it, and nothing references the executables or the generator.
/// </summary>
public sealed class LayeringTests
{
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Samsa.Protocol"] = [],
        ["Samsa.Storage"] = ["Samsa.Protocol"],
        ["Samsa.Coordination"] = ["Samsa.Protocol"],
        ["Samsa.Broker"] = ["Samsa.Protocol", "Samsa.Storage", "Samsa.Coordination"],
        ["Samsa.Server"] = ["Samsa.Broker", "Samsa.Protocol", "Samsa.Storage", "Samsa.Coordination"],
        ["Samsa.Cli"] = [], // reaches brokers through Confluent.Kafka, like any user
    };

    private static readonly string[] NeverReferenced = ["Samsa.Server", "Samsa.Cli", "Samsa.Protocol.Generator"];

    public static TheoryData<string> SourceProjects()
    {
        var data = new TheoryData<string>();
        foreach (string name in Allowed.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void Source_project_references_only_lower_layers(string project)
    {
        string path = Path.Combine(RepoRoot(), "src", project, project + ".csproj");
        foreach (string reference in ProjectReferences(path))
        {
            Assert.True(Array.IndexOf(Allowed[project], reference) >= 0, $"{project} must not reference {reference}");
        }
    }

    [Fact]
    public void Every_source_project_is_in_the_layer_table()
    {
        foreach (string dir in Directory.GetDirectories(Path.Combine(RepoRoot(), "src")))
        {
            Assert.Contains(Path.GetFileName(dir), Allowed.Keys);
        }
    }

    [Fact]
    public void Nothing_references_the_executables_or_the_generator()
    {
        string root = RepoRoot();
        foreach (string path in Directory.EnumerateFiles(root, "*.csproj", SearchOption.AllDirectories))
        {
            if (path.Contains($"{Path.DirectorySeparatorChar}artifacts{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                continue;
            }

            foreach (string reference in ProjectReferences(path, includeBuildOrderOnly: false))
            {
                Assert.DoesNotContain(reference, NeverReferenced);
            }
        }
    }

    /// <summary>
    /// The projects a csproj references. A build-order-only reference (ReferenceOutputAssembly
    /// false: a test project that runs the built server as a child process) links no code.
    /// </summary>
    private static IEnumerable<string> ProjectReferences(string csproj, bool includeBuildOrderOnly = true)
    {
        foreach (XElement element in XDocument.Load(csproj).Descendants("ProjectReference"))
        {
            if (!includeBuildOrderOnly && string.Equals((string?)element.Attribute("ReferenceOutputAssembly"), "false", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            string include = (string?)element.Attribute("Include") ?? string.Empty;
            yield return Path.GetFileNameWithoutExtension(include.Replace('\\', '/'));
        }
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Samsa.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Samsa.slnx not found above the test's output directory");
    }
}
