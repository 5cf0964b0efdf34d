using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Samsa.Alternatives;

/// <summary>
/// What a Redis user would run instead of Kafka: <c>XADD stream * v &lt;value&gt;</c> per record,
/// pipelined as redis-benchmark does (each connection writes <see cref="AlternativeOptions.Window"/>
/// pre-encoded commands in one go, then reads their replies), over
/// <see cref="AlternativeOptions.Connections"/> raw RESP connections. No client library: the
/// figure is the server's, with the durability the server is started with (bench/run.sh:
/// appendonly yes, appendfsync everysec). Timed from the first write to the last reply.
/// </summary>
internal static class RedisStreamsBaseline
{
    public static async Task<BaselineResult> RunAsync(AlternativeOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        IPEndPoint endPoint = IPEndPoint.Parse(options.Server);
        byte[] payload = Payload.Create(options.RecordSize);
        byte[] pipeline = EncodePipeline(options.Name, payload, options.Window);
        var sockets = new Socket[(int)Math.Min(options.Connections, options.Records)];
        try
        {
            for (int i = 0; i < sockets.Length; i++)
            {
                sockets[i] = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await sockets[i].ConnectAsync(endPoint, cancellationToken);
            }

            long remaining = options.Records;
            long errors = 0;

            // Takes up to Window records off the shared count; 0 when none are left.
            int Take()
            {
                while (true)
                {
                    long left = Interlocked.Read(ref remaining);
                    if (left <= 0)
                    {
                        return 0;
                    }

                    int take = (int)Math.Min(options.Window, left);
                    if (Interlocked.CompareExchange(ref remaining, left - take, left) == left)
                    {
                        return take;
                    }
                }
            }

            async Task ConnectionLoopAsync(Socket socket)
            {
                var replies = new RespReplyReader(socket);
                int commandLength = pipeline.Length / options.Window;
                for (int take = Take(); take > 0; take = Take())
                {
                    await socket.SendAsync(pipeline.AsMemory(0, take * commandLength), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref errors, await replies.ReadBulkRepliesAsync(take, cancellationToken).ConfigureAwait(false));
                }
            }

            long start = Stopwatch.GetTimestamp();
            var loops = new Task[sockets.Length];
            for (int i = 0; i < loops.Length; i++)
            {
                loops[i] = ConnectionLoopAsync(sockets[i]);
            }

            await Task.WhenAll(loops);
            TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
            if (errors != 0)
            {
                throw new InvalidOperationException($"redis answered {errors} XADDs with an error");
            }

            long length = await StreamLengthAsync(sockets[0], options.Name, cancellationToken);
            if (length != options.Records)
            {
                throw new InvalidOperationException($"XLEN {options.Name} is {length}, {options.Records} were added");
            }

            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"redis: stream {options.Name}, XLEN {length}, {sockets.Length} connection(s) x {options.Window} commands per pipelined write"));
            return new BaselineResult(options.Records, options.RecordSize, elapsed);
        }
        finally
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }
        }
    }

    /// <summary><paramref name="count"/> copies of one XADD command in RESP, back to back.</summary>
    private static byte[] EncodePipeline(string stream, byte[] payload, int count)
    {
        byte[] key = Encoding.UTF8.GetBytes(stream);
        using var command = new MemoryStream();
        WriteAscii(command, "*5\r\n");
        WriteBulk(command, "XADD"u8);
        WriteBulk(command, key);
        WriteBulk(command, "*"u8);
        WriteBulk(command, "v"u8);
        WriteBulk(command, payload);
        byte[] one = command.ToArray();
        byte[] all = new byte[one.Length * count];
        for (int i = 0; i < count; i++)
        {
            one.CopyTo(all, i * one.Length);
        }

        return all;
    }

    private static void WriteBulk(MemoryStream output, ReadOnlySpan<byte> value)
    {
        WriteAscii(output, string.Create(CultureInfo.InvariantCulture, $"${value.Length}\r\n"));
        output.Write(value);
        output.Write("\r\n"u8);
    }

    private static void WriteAscii(MemoryStream output, string text) => output.Write(Encoding.ASCII.GetBytes(text));

    private static async Task<long> StreamLengthAsync(Socket socket, string stream, CancellationToken cancellationToken)
    {
        using var command = new MemoryStream();
        WriteAscii(command, "*2\r\n");
        WriteBulk(command, "XLEN"u8);
        WriteBulk(command, Encoding.UTF8.GetBytes(stream));
        await socket.SendAsync(command.ToArray(), SocketFlags.None, cancellationToken);
        var buffer = new byte[64];
        int filled = 0;
        while (filled < 3 || buffer[filled - 1] != '\n')
        {
            int read = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, cancellationToken);
            if (read == 0 || filled + read == buffer.Length)
            {
                throw new IOException("redis closed the connection or sent an unexpected XLEN reply");
            }

            filled += read;
        }

        // ":<n>\r\n"
        if (buffer[0] != ':' || !Utf8Parser.TryParse(buffer.AsSpan(1, filled - 3), out long length, out _))
        {
            throw new IOException("unexpected XLEN reply: " + Encoding.ASCII.GetString(buffer, 0, filled).TrimEnd());
        }

        return length;
    }
}
