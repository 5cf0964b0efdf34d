using System.Text;
using CsCheck;
using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Tests.Primitives;

/// <summary>
/// Strings, nullable strings, bytes and arrays through the reader and writer, in both the
/// classic and the compact (flexible) encodings, for arbitrary values.
/// </summary>
public sealed class StringAndBytesPropertyTests
{
    private static readonly Gen<string> Text = Gen.String[Gen.Char.AlphaNumeric, 0, 300]
        .SelectMany(ascii => Gen.Int[0, 3].Select(i => ascii + (i switch { 0 => "", 1 => "é", 2 => "한국어", _ => "🙂" })));

    [Fact]
    public void Strings_round_trip_in_both_encodings()
    {
        Gen.Select(Text, Gen.Bool).Sample((value, compact) =>
        {
            byte[] bytes = Write(w => w.WriteString(value, compact));
            int expectedPrefix = compact ? Varint.SizeOfUnsigned((uint)Encoding.UTF8.GetByteCount(value) + 1) : 2;
            Assert.Equal(expectedPrefix + Encoding.UTF8.GetByteCount(value), bytes.Length);
            var reader = new ProtocolReader(bytes);
            Assert.Equal(value, reader.ReadString(compact));
            Assert.True(reader.End);
        });
    }

    [Fact]
    public void Nullable_strings_round_trip_including_null()
    {
        Gen.Select(Text.Null(), Gen.Bool).Sample((value, compact) =>
        {
            byte[] bytes = Write(w => w.WriteNullableString(value, compact));
            var reader = new ProtocolReader(bytes);
            Assert.Equal(value, reader.ReadNullableString(compact));
            Assert.True(reader.End);
        });
    }

    [Fact]
    public void Null_string_where_not_nullable_is_a_protocol_exception()
    {
        Gen.Bool.Sample(compact =>
        {
            byte[] bytes = Write(w => w.WriteNullableString(null, compact));
            Assert.Throws<ProtocolException>(() =>
            {
                var reader = new ProtocolReader(bytes);
                reader.ReadString(compact);
            });
        });
    }

    [Fact]
    public void Bytes_round_trip_as_slices_of_the_input()
    {
        Gen.Select(Gen.Byte.Array[0, 500], Gen.Bool).Sample((value, compact) =>
        {
            byte[] bytes = Write(w => w.WriteBytes(value, compact));
            var reader = new ProtocolReader(bytes);
            ReadOnlyMemory<byte> read = reader.ReadBytes(compact);
            Assert.Equal(value, read.ToArray());
            Assert.True(reader.End);
        });
    }

    [Fact]
    public void A_length_beyond_the_input_is_rejected_before_anything_is_read()
    {
        Gen.Select(Gen.Int[1, int.MaxValue - 1], Gen.Bool).Sample((claimed, compact) =>
        {
            byte[] bytes = Write(w =>
            {
                if (compact)
                {
                    w.WriteUnsignedVarint((uint)claimed + 1);
                }
                else
                {
                    w.WriteInt32(claimed);
                }

                w.WriteRaw([1, 2, 3]);
            });
            if (claimed <= 3)
            {
                return;
            }

            Assert.Throws<ProtocolException>(() =>
            {
                var reader = new ProtocolReader(bytes);
                reader.ReadBytes(compact);
            });
        });
    }

    [Fact]
    public void Array_counts_that_cannot_fit_the_remaining_bytes_are_rejected()
    {
        Gen.Select(Gen.Int[2, 1_000_000], Gen.Bool).Sample((count, compact) =>
        {
            // One byte of elements follows, so any count above 1 of 4-byte elements cannot be there.
            byte[] bytes = Write(w =>
            {
                w.WriteArrayCount(count, compact);
                w.WriteUInt8(7);
            });
            Assert.Throws<ProtocolException>(() =>
            {
                var reader = new ProtocolReader(bytes);
                reader.ReadArrayCount(compact, minElementSize: 4);
            });
        });
    }

    private delegate void WriteAction(ProtocolWriter writer);

    private static byte[] Write(WriteAction write)
    {
        using var buffer = new PooledBufferWriter();
        write(new ProtocolWriter(buffer));
        return buffer.ToArray();
    }
}
