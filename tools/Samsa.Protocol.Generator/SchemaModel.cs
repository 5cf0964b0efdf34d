namespace Samsa.Protocol.Generator;

/// <summary>The wire type of a field, or of an array's elements.</summary>
internal enum FieldKind
{
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt16,
    UInt32,
    Float64,
    Uuid,
    String,
    Bytes,
    Records,
    Struct,
}

/// <summary>
/// One schema file: an API (key, versions, request and response structures), or a versioned data
/// structure that is not an API message (Key -1, <see cref="Response"/> null; e.g. the records of
/// the offsets topic), whose fields are in <see cref="Request"/>.
/// </summary>
internal sealed record ApiSchema(
    string Name,
    short Key,
    VersionRange Versions,
    VersionRange Flexible,
    StructSchema Request,
    StructSchema? Response,
    IReadOnlyDictionary<string, StructSchema> CommonStructs,
    string SourceFile)
{
    public bool IsData => Response is null;
}

/// <summary>A struct: the body of a message, or a nested or common struct type.</summary>
internal sealed class StructSchema(string name, VersionRange versions)
{
    public string Name { get; } = name;

    /// <summary>Versions in which this struct appears on the wire (its field's versions).</summary>
    public VersionRange Versions { get; set; } = versions;

    public List<FieldSchema> Fields { get; } = [];
}

/// <summary>One field of a struct.</summary>
internal sealed class FieldSchema
{
    public required string Name { get; init; }

    public required FieldKind Kind { get; init; }

    public required bool IsArray { get; init; }

    /// <summary>For struct fields and arrays of structs: the struct's type name.</summary>
    public string? StructName { get; init; }

    public StructSchema? Struct { get; set; }

    public required VersionRange Versions { get; init; }

    public required VersionRange NullableVersions { get; init; }

    /// <summary>The default as written in the schema (an integer, true/false, null or a quoted string), or null for the type's zero.</summary>
    public string? Default { get; init; }

    public int? Tag { get; init; }

    public VersionRange TaggedVersions { get; init; } = VersionRange.None;

    public required int Line { get; init; }

    public bool IsTagged => Tag is not null;

    public bool IsEverNullable => !NullableVersions.IsEmpty;
}
