using Samsa.Protocol.Generator;

// Reads src/Samsa.Protocol/Schemas/*.schema and writes src/Samsa.Protocol/Messages/Generated/*.g.cs.
// With --check it writes nothing and exits 1 if the committed output differs from what the schemas give.
bool check = args.Contains("--check");
string root = FindRepoRoot(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Directory.GetCurrentDirectory());
string schemaDir = Path.Combine(root, "src", "Samsa.Protocol", "Schemas");
string outputDir = Path.Combine(root, "src", "Samsa.Protocol", "Messages", "Generated");

var apis = new List<ApiSchema>();
try
{
    foreach (string file in Directory.GetFiles(schemaDir, "*.schema").Order(StringComparer.Ordinal))
    {
        apis.Add(SchemaParser.Parse(file));
    }
}
catch (SchemaException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

var dataSchemas = apis.Where(a => a.IsData).ToList();
apis.RemoveAll(a => a.IsData);
apis.Sort((a, b) => a.Key.CompareTo(b.Key));
for (int i = 1; i < apis.Count; i++)
{
    if (apis[i].Key == apis[i - 1].Key)
    {
        Console.Error.WriteLine($"API key {apis[i].Key} is declared by both {apis[i - 1].SourceFile} and {apis[i].SourceFile}");
        return 2;
    }
}

var outputs = new SortedDictionary<string, string>(StringComparer.Ordinal)
{
    ["ApiKey.g.cs"] = TableEmitter.EmitApiKey(apis),
    ["ApiMessageTable.g.cs"] = TableEmitter.EmitTable(apis),
};
foreach (ApiSchema api in apis)
{
    outputs[$"{api.Name}RequestData.g.cs"] = MessageEmitter.Emit(api, isRequest: true);
    outputs[$"{api.Name}ResponseData.g.cs"] = MessageEmitter.Emit(api, isRequest: false);
}

foreach (ApiSchema data in dataSchemas)
{
    if (outputs.ContainsKey($"{data.Name}.g.cs"))
    {
        Console.Error.WriteLine($"Data schema {data.Name} collides with a generated file name.");
        return 2;
    }

    outputs[$"{data.Name}.g.cs"] = MessageEmitter.Emit(data, isRequest: true);
}

var stale = new List<string>();
Directory.CreateDirectory(outputDir);
foreach (string existing in Directory.GetFiles(outputDir, "*.g.cs"))
{
    if (!outputs.ContainsKey(Path.GetFileName(existing)))
    {
        stale.Add(Path.GetFileName(existing) + " (no schema produces it)");
        if (!check)
        {
            File.Delete(existing);
        }
    }
}

foreach ((string name, string text) in outputs)
{
    string path = Path.Combine(outputDir, name);
    string? current = File.Exists(path) ? File.ReadAllText(path) : null;
    if (current == text)
    {
        continue;
    }

    stale.Add(name);
    if (!check)
    {
        File.WriteAllText(path, text);
    }
}

if (check && stale.Count > 0)
{
    Console.Error.WriteLine("Generated protocol code is out of date; run: dotnet run --project tools/Samsa.Protocol.Generator");
    foreach (string name in stale)
    {
        Console.Error.WriteLine("  " + name);
    }

    return 1;
}

Console.WriteLine(check
    ? $"Generated protocol code is up to date ({apis.Count} APIs)."
    : $"{apis.Count} APIs, {dataSchemas.Count} data schemas, {outputs.Count} files, {stale.Count} changed.");
return 0;

static string FindRepoRoot(string start)
{
    for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Samsa.slnx")))
        {
            return dir.FullName;
        }
    }

    throw new DirectoryNotFoundException($"No Samsa.slnx above {start}");
}
