using Samsa.Protocol.Messages;

namespace Samsa.Protocol.Tests.Golden;

/// <summary>
/// Keeps the saved golden frames (Golden/Frames/*.bin, fuzzer seeds) honest: every one is there,
/// decodes with our generated types, and re-encodes to exactly its bytes.
/// </summary>
public sealed class SavedFrameTests
{
    [Fact]
    public void Every_saved_frame_decodes_and_re_encodes_identically()
    {
        string[] files = GoldenFrameFiles.Deployed();
        foreach (string expected in GoldenFrameFiles.ExpectedNames)
        {
            Assert.Contains(files, file => Path.GetFileNameWithoutExtension(file) == expected);
        }

        foreach (string file in files)
        {
            byte[] frame = File.ReadAllBytes(file);
            (RequestHeader header, IRequestData body) = RequestFrameCodec.Decode(frame);
            RequestFrameCodec.AssertSameBytes(frame, RequestFrameCodec.Encode(header, body), Path.GetFileName(file));
        }
    }
}
