namespace Samsa.Coordination;

/// <summary>
/// ZooKeeper's path rules (PathUtils.validatePath): absolute, no trailing '/' except the root, no
/// empty, "." or ".." segments, no NUL and none of the control or reserved characters ZooKeeper
/// refuses. Shared by every implementation so all of them reject the same paths.
/// </summary>
internal static class CoordinationPath
{
    public const string Root = "/";

    /// <summary>Throws BadArguments unless <paramref name="path"/> is valid.</summary>
    public static void Validate(string? path)
    {
        string? reason = Check(path);
        if (reason is not null)
        {
            throw new CoordinationException(CoordinationError.BadArguments, $"Invalid path '{path}': {reason}", path);
        }
    }

    /// <summary>
    /// Validates the path of a create: for a sequential mode the counter is appended first, so
    /// "/queue/" is a valid prefix as in ZooKeeper.
    /// </summary>
    public static void ValidateForCreate(string? path, CreateMode mode)
    {
        if (path is not null && IsSequential(mode))
        {
            string? reason = Check(path + "0");
            if (reason is not null)
            {
                throw new CoordinationException(CoordinationError.BadArguments, $"Invalid path '{path}': {reason}", path);
            }

            return;
        }

        Validate(path);
    }

    public static bool IsSequential(CreateMode mode) => mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential;

    public static bool IsEphemeral(CreateMode mode) => mode is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    /// <summary>The parent of a valid, non-root path.</summary>
    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash == 0 ? Root : path[..slash];
    }

    /// <summary>The last segment of a valid, non-root path.</summary>
    public static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    public static string Child(string parent, string name) => parent == Root ? "/" + name : parent + "/" + name;

    private static string? Check(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return "empty";
        }

        if (path[0] != '/')
        {
            return "must start with '/'";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/')
        {
            return "must not end with '/'";
        }

        int segmentStart = 1;
        for (int i = 1; i <= path.Length; i++)
        {
            if (i == path.Length || path[i] == '/')
            {
                ReadOnlySpan<char> segment = path.AsSpan(segmentStart, i - segmentStart);
                if (segment.IsEmpty)
                {
                    return $"empty segment at index {i}";
                }

                if (segment is "." or "..")
                {
                    return "relative segments are not allowed";
                }

                segmentStart = i + 1;
                continue;
            }

            char c = path[i];
            if (c == '\0' || (c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
                || (c >= '\ud800' && c <= '\uf8ff') || c >= '\ufff0')
            {
                return $"invalid character at index {i}";
            }
        }

        return null;
    }
}
