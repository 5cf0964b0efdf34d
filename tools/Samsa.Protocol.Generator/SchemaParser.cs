using System.Globalization;

namespace Samsa.Protocol.Generator;

/// <summary>
/// Parses one <c>.schema</c> file (format: docs/protocol-schemas.md) into an <see cref="ApiSchema"/>,
/// resolving references to common structs and checking the rules the format promises.
/// </summary>
internal sealed class SchemaParser
{
    private readonly string _path;
    private readonly Dictionary<string, StructSchema> _common = new(StringComparer.Ordinal);
    private readonly List<FieldSchema> _unresolved = [];

    private SchemaParser(string path)
    {
        _path = path;
    }

    public static ApiSchema Parse(string path) => new SchemaParser(path).ParseFile(File.ReadAllLines(path));

    private SchemaException Error(int line, string message) => new($"{_path}:{line}: {message}");

    private ApiSchema ParseFile(string[] lines)
    {
        string? name = null;
        short key = -1;
        VersionRange versions = VersionRange.None;
        VersionRange flexible = VersionRange.None;
        StructSchema? request = null;
        bool isData = false;
        StructSchema? response = null;

        // Stack of (indent, struct) for the block being filled.
        var stack = new List<(int Indent, StructSchema Struct)>();

        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i];
            string trimmed = raw.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            if (raw.Contains('\t', StringComparison.Ordinal))
            {
                throw Error(lineNo, "tabs are not allowed; indent with two spaces per level");
            }

            int indent = raw.Length - raw.TrimStart(' ').Length;
            if (indent % 2 != 0)
            {
                throw Error(lineNo, "indentation must be a multiple of two spaces");
            }

            string[] tokens = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (indent == 0)
            {
                stack.Clear();
                switch (tokens[0])
                {
                    case "api":
                    case "data":
                        if (name is not null)
                        {
                            throw Error(lineNo, "a second 'api' or 'data' line");
                        }

                        if (tokens.Length < 2)
                        {
                            throw Error(lineNo, $"'{tokens[0]}' needs a name");
                        }

                        name = tokens[1];
                        isData = tokens[0] == "data";
                        Dictionary<string, string> attrs = ParseAttributes(tokens.AsSpan(2), lineNo);
                        key = isData ? (short)-1 : short.Parse(Required(attrs, "key", lineNo), NumberStyles.None, CultureInfo.InvariantCulture);
                        versions = ParseRange(Required(attrs, "versions", lineNo), lineNo);
                        flexible = Clip(ParseRange(Required(attrs, "flexible", lineNo), lineNo), versions);
                        if (versions.IsEmpty)
                        {
                            throw Error(lineNo, "an API needs at least one version");
                        }

                        break;
                    case "fields" when isData:
                        request = new StructSchema(name!, versions);
                        stack.Add((2, request));
                        break;
                    case "request" when !isData:
                        request = new StructSchema(name + "RequestData", versions);
                        stack.Add((2, request));
                        break;
                    case "response" when !isData:
                        response = new StructSchema(name + "ResponseData", versions);
                        stack.Add((2, response));
                        break;
                    case "struct":
                        if (tokens.Length != 2)
                        {
                            throw Error(lineNo, "expected 'struct <Name>'");
                        }

                        var common = new StructSchema(tokens[1], VersionRange.None);
                        if (!_common.TryAdd(common.Name, common))
                        {
                            throw Error(lineNo, $"struct {common.Name} declared twice");
                        }

                        stack.Add((2, common));
                        break;
                    default:
                        throw Error(lineNo, $"unexpected '{tokens[0]}' at the top level (expected api with request and response, or data with fields; and struct)");
                }

                if (name is null)
                {
                    throw Error(lineNo, "the 'api' or 'data' line must come first");
                }

                continue;
            }

            // A field line: find the struct it belongs to by indentation.
            while (stack.Count > 0 && stack[^1].Indent > indent)
            {
                stack.RemoveAt(stack.Count - 1);
            }

            if (stack.Count == 0 || stack[^1].Indent != indent)
            {
                throw Error(lineNo, "field is indented deeper than any struct it could belong to");
            }

            StructSchema owner = stack[^1].Struct;
            FieldSchema field = ParseField(tokens, lineNo, owner.Versions.IsEmpty ? versions : owner.Versions, versions, owner);
            owner.Fields.Add(field);
            if (field.Kind == FieldKind.Struct)
            {
                // Children (if any) follow one level deeper; otherwise it names a common struct.
                bool hasChildren = NextIndent(lines, i) > indent;
                if (hasChildren)
                {
                    field.Struct = new StructSchema(field.StructName!, field.Versions);
                    stack.Add((indent + 2, field.Struct));
                }
                else
                {
                    _unresolved.Add(field);
                }
            }
        }

        if (name is null || request is null || (response is null && !isData))
        {
            throw Error(lines.Length, "a schema needs an 'api' line with 'request' and 'response' blocks, or a 'data' line with a 'fields' block");
        }

        foreach (FieldSchema field in _unresolved)
        {
            if (!_common.TryGetValue(field.StructName!, out StructSchema? common))
            {
                throw Error(field.Line, $"unknown struct type '{field.StructName}' (declare it inline or with 'struct {field.StructName}')");
            }

            field.Struct = common;
        }

        // A common struct appears wherever the fields that use it appear.
        foreach (StructSchema common in _common.Values)
        {
            common.Versions = versions;
        }

        var api = new ApiSchema(name, key, versions, flexible, request, response, _common, _path);
        if (isData && response is not null)
        {
            throw Error(lines.Length, "a data schema has one 'fields' block");
        }
        Validate(api);
        return api;
    }

    private static int NextIndent(string[] lines, int current)
    {
        for (int j = current + 1; j < lines.Length; j++)
        {
            string t = lines[j].Trim();
            if (t.Length == 0 || t.StartsWith('#'))
            {
                continue;
            }

            return lines[j].Length - lines[j].TrimStart(' ').Length;
        }

        return 0;
    }

    private FieldSchema ParseField(string[] tokens, int lineNo, VersionRange parentVersions, VersionRange apiVersions, StructSchema owner)
    {
        if (tokens.Length < 2)
        {
            throw Error(lineNo, "expected '<Name> <type> [attributes]'");
        }

        string name = tokens[0];
        if (!char.IsUpper(name[0]))
        {
            throw Error(lineNo, $"field name '{name}' must be PascalCase");
        }

        string type = tokens[1];
        bool nullableAll = type.EndsWith('?');
        if (nullableAll)
        {
            type = type[..^1];
        }

        bool isArray = type.StartsWith("[]", StringComparison.Ordinal);
        if (isArray)
        {
            type = type[2..];
        }

        FieldKind kind = type switch
        {
            "bool" => FieldKind.Bool,
            "int8" => FieldKind.Int8,
            "int16" => FieldKind.Int16,
            "int32" => FieldKind.Int32,
            "int64" => FieldKind.Int64,
            "uint16" => FieldKind.UInt16,
            "uint32" => FieldKind.UInt32,
            "float64" => FieldKind.Float64,
            "uuid" => FieldKind.Uuid,
            "string" => FieldKind.String,
            "bytes" => FieldKind.Bytes,
            "records" => FieldKind.Records,
            _ when type.Length > 0 && char.IsUpper(type[0]) => FieldKind.Struct,
            _ => throw Error(lineNo, $"unknown type '{tokens[1]}'"),
        };

        if (kind == FieldKind.Records && isArray)
        {
            throw Error(lineNo, "records cannot be an array");
        }

        Dictionary<string, string> attrs = ParseAttributes(tokens.AsSpan(2), lineNo);
        // "N+" means "from N to the API's newest version", so open ranges are clipped to the API's.
        VersionRange versions = attrs.TryGetValue("versions", out string? v) ? Clip(ParseRange(v, lineNo), apiVersions) : parentVersions;
        VersionRange nullable = attrs.TryGetValue("nullable", out string? n) ? Clip(ParseRange(n, lineNo), versions) : nullableAll ? versions : VersionRange.None;
        int? tag = attrs.TryGetValue("tag", out string? t) ? int.Parse(t, NumberStyles.None, CultureInfo.InvariantCulture) : null;
        VersionRange tagged = attrs.TryGetValue("tagged", out string? tv) ? Clip(ParseRange(tv, lineNo), versions) : tag is null ? VersionRange.None : versions;
        attrs.TryGetValue("default", out string? defaultValue);

        foreach (string attribute in attrs.Keys)
        {
            if (attribute is not ("versions" or "nullable" or "tag" or "tagged" or "default"))
            {
                throw Error(lineNo, $"unknown attribute '{attribute}'");
            }
        }

        if (nullableAll && attrs.ContainsKey("nullable"))
        {
            throw Error(lineNo, "use either a '?' after the type or nullable=, not both");
        }

        if (!apiVersions.Contains(versions))
        {
            throw Error(lineNo, $"field versions {versions} lie outside the API's versions {apiVersions}");
        }

        if (!versions.Contains(nullable))
        {
            throw Error(lineNo, $"nullable versions {nullable} lie outside the field's versions {versions}");
        }

        bool canBeNull = isArray || kind is FieldKind.String or FieldKind.Bytes or FieldKind.Records or FieldKind.Struct;
        if (!nullable.IsEmpty && !canBeNull)
        {
            throw Error(lineNo, $"a {type} cannot be nullable");
        }

        if (defaultValue == "null" && nullable.IsEmpty)
        {
            throw Error(lineNo, "default=null on a field that is never nullable");
        }

        if (tag is not null && !versions.Contains(tagged))
        {
            throw Error(lineNo, $"tagged versions {tagged} lie outside the field's versions {versions}");
        }

        if (tag is null && attrs.ContainsKey("tagged"))
        {
            throw Error(lineNo, "tagged= without tag=");
        }

        foreach (FieldSchema existing in owner.Fields)
        {
            if (existing.Name == name)
            {
                throw Error(lineNo, $"field {name} declared twice in {owner.Name}");
            }

            if (tag is not null && existing.Tag == tag)
            {
                throw Error(lineNo, $"tag {tag} used twice in {owner.Name}");
            }
        }

        return new FieldSchema
        {
            Name = name,
            Kind = kind,
            IsArray = isArray,
            StructName = kind == FieldKind.Struct ? type : null,
            Versions = versions,
            NullableVersions = nullable,
            Default = defaultValue,
            Tag = tag,
            TaggedVersions = tagged,
            Line = lineNo,
        };
    }

    private static VersionRange Clip(VersionRange range, VersionRange within) =>
        range.IsOpenEnded && !range.IsEmpty && !within.IsEmpty ? new VersionRange(range.Min, Math.Max(range.Min, within.Max)) : range;

    private Dictionary<string, string> ParseAttributes(ReadOnlySpan<string> tokens, int lineNo)
    {
        var attrs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            int eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == token.Length - 1)
            {
                throw Error(lineNo, $"expected key=value, got '{token}'");
            }

            if (!attrs.TryAdd(token[..eq], token[(eq + 1)..]))
            {
                throw Error(lineNo, $"attribute '{token[..eq]}' given twice");
            }
        }

        return attrs;
    }

    private string Required(Dictionary<string, string> attrs, string key, int lineNo) =>
        attrs.TryGetValue(key, out string? value) ? value : throw Error(lineNo, $"missing {key}=");

    private VersionRange ParseRange(string text, int lineNo)
    {
        try
        {
            return VersionRange.Parse(text);
        }
        catch (FormatException e)
        {
            throw Error(lineNo, e.Message);
        }
    }

    private void Validate(ApiSchema api)
    {
        var names = new Dictionary<string, StructSchema>(StringComparer.Ordinal);
        ValidateStruct(api, api.Request, names);
        names.Clear();
        if (api.Response is not null)
        {
            ValidateStruct(api, api.Response, names);
        }
    }

    private void ValidateStruct(ApiSchema api, StructSchema schema, Dictionary<string, StructSchema> names)
    {
        foreach (FieldSchema field in schema.Fields)
        {
            if (field.IsTagged && !api.Flexible.Contains(field.TaggedVersions))
            {
                throw Error(field.Line, $"tagged versions {field.TaggedVersions} are not all flexible ({api.Flexible})");
            }

            if (field.Struct is null)
            {
                continue;
            }

            if (names.TryGetValue(field.Struct.Name, out StructSchema? seen))
            {
                if (!ReferenceEquals(seen, field.Struct))
                {
                    throw Error(field.Line, $"struct name {field.Struct.Name} is used for two different structs in one message");
                }

                continue;
            }

            if (field.Struct.Name == schema.Name)
            {
                throw Error(field.Line, $"struct {field.Struct.Name} has the name of the message");
            }

            names.Add(field.Struct.Name, field.Struct);
            ValidateStruct(api, field.Struct, names);
        }
    }
}

/// <summary>A schema file breaks the format; the message names the file and line.</summary>
internal sealed class SchemaException(string message) : Exception(message);
