using System.Runtime.CompilerServices;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// The saved copies of captured client frames under Golden/Frames/*.bin (whole frames, size prefix
/// included), kept as seeds for the decoder fuzzer and copied next to the test assembly. The live
/// tests never read them; they rewrite them only when run with
/// <c>SAMSA_WRITE_GOLDEN_FRAMES=1</c>, e.g.
/// <c>SAMSA_WRITE_GOLDEN_FRAMES=1 dotnet test tests/Samsa.Protocol.Tests --filter FullyQualifiedName~Golden</c>.
/// </summary>
internal static class GoldenFrameFiles
{
    public const string WriteVariable = "SAMSA_WRITE_GOLDEN_FRAMES";
    private const string FramesFolder = "Frames";
    private const string Extension = ".bin";

    /// <summary>The frames the live tests save; the saved-frame test expects every one of them.</summary>
    public static readonly string[] ExpectedNames =
    [
        "apiversions",
        "metadata",
        "produce-gzip",
        "produce-snappy",
        "produce-lz4",
        "produce-zstd",
        "listoffsets",
        "fetch",
        "findcoordinator",
    ];

    /// <summary>Writes the frame into the source tree when asked to through the environment.</summary>
    public static void SaveIfRequested(string name, CapturedFrame frame)
    {
        if (Environment.GetEnvironmentVariable(WriteVariable) != "1")
        {
            return;
        }

        string folder = Path.Combine(SourceFolder(), FramesFolder);
        Directory.CreateDirectory(folder);
        File.WriteAllBytes(Path.Combine(folder, name + Extension), frame.Bytes);
    }

    /// <summary>The copies deployed next to the test assembly.</summary>
    public static string[] Deployed()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Golden", FramesFolder);
        return Directory.Exists(folder) ? Directory.GetFiles(folder, "*" + Extension) : [];
    }

    private static string SourceFolder([CallerFilePath] string thisFile = "") =>
        Path.GetDirectoryName(thisFile) ?? throw new InvalidOperationException("no caller file path");
}
