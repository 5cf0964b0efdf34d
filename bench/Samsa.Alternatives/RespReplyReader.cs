using System.Buffers.Text;
using System.Net.Sockets;

namespace Samsa.Alternatives;

/// <summary>
/// Reads RESP replies to XADD off one connection: a bulk string (<c>$len\r\nid\r\n</c>) is a
/// success, an error line (<c>-ERR ...\r\n</c>) is counted as a failure; anything else breaks the
/// protocol and throws.
/// </summary>
internal sealed class RespReplyReader
{
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public RespReplyReader(Socket socket) => _socket = socket;

    /// <summary>Reads <paramref name="count"/> replies; returns how many were errors.</summary>
    public async ValueTask<int> ReadBulkRepliesAsync(int count, CancellationToken cancellationToken)
    {
        int errors = 0;
        while (count > 0)
        {
            while (count > 0 && TryParseOne(out bool isError))
            {
                count--;
                if (isError)
                {
                    errors++;
                }
            }

            if (count == 0)
            {
                break;
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                throw new IOException("a RESP reply longer than the read buffer");
            }

            int read = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new IOException("redis closed the connection");
            }

            _end += read;
        }

        return errors;
    }

    private bool TryParseOne(out bool isError)
    {
        isError = false;
        ReadOnlySpan<byte> data = _buffer.AsSpan(_start, _end - _start);
        int lineEnd = data.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return false;
        }

        switch (data[0])
        {
            case (byte)'$':
                if (!Utf8Parser.TryParse(data[1..lineEnd], out int length, out int consumed) || consumed != lineEnd - 1 || length < 0)
                {
                    throw new IOException("a malformed RESP bulk string header");
                }

                int total = lineEnd + 2 + length + 2;
                if (data.Length < total)
                {
                    return false;
                }

                _start += total;
                return true;
            case (byte)'-':
                isError = true;
                _start += lineEnd + 2;
                return true;
            default:
                throw new IOException($"an unexpected RESP reply type '{(char)data[0]}'");
        }
    }
}
