using CsCheck;
using Samsa.Protocol.Compression;
using Samsa.Protocol.Records;

namespace Samsa.Protocol.Tests.Records;

public sealed class BatchCrcCursorTests
{
    [Fact]
    public void Checked_piece_by_piece_a_bad_crc_is_reported_once_its_batchs_last_byte_was_seen_and_never_before()
    {
        Gen.Select(Gen.Int[0, 3000].Array[1, 6], Gen.Int[1, 9000], Gen.Int[0, 2], Gen.Int[0, int.MaxValue])
            .Sample((valueSizes, pieceBytes, flipKind, where) =>
            {
                var ends = new int[valueSizes.Length];
                var blob = new List<byte>();
                for (int i = 0; i < valueSizes.Length; i++)
                {
                    blob.AddRange(TestBatch.Build(
                        CompressionCodec.ForType(CompressionType.None),
                        0,
                        [new TestRecord(1, 100, null, new byte[valueSizes[i]], [])]));
                    ends[i] = blob.Count;
                }

                byte[] records = [.. blob];
                int bad = where % ends.Length;
                int start = bad == 0 ? 0 : ends[bad - 1];
                int? badEnd = null;
                if (flipKind == 1)
                {
                    // A byte the CRC covers, or the CRC itself: that batch must fail.
                    records[start + 17 + (where % (ends[bad] - start - 17))] ^= 0x10;
                    badEnd = ends[bad];
                }
                else if (flipKind == 2)
                {
                    // The base offset or leader epoch, which the log stamps in place: no CRC covers them.
                    int field = where % 12;
                    records[start + (field < 8 ? field : 12 + field - 8)] ^= 0x10;
                }

                var cursor = new BatchCrcCursor(records);
                for (int end = Math.Min(pieceBytes, records.Length); ; end = Math.Min(end + pieceBytes, records.Length))
                {
                    bool expected = badEnd is not int failsAt || end < failsAt;
                    Assert.Equal(expected, cursor.CheckThrough(end));
                    if (!expected || end == records.Length)
                    {
                        break;
                    }
                }
            });
    }

    [Fact]
    public void Nothing_to_check_is_fine()
    {
        Assert.True(new BatchCrcCursor([]).CheckThrough(0));
    }
}
