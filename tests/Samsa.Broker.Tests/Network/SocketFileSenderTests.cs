using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Samsa.Broker.Network;
using Samsa.Protocol.Primitives;
using Samsa.Testing;

namespace Samsa.Broker.Tests.Network;

/// <summary>
/// Fetched records sent with sendfile over a real loopback connection: the peer must receive the
/// file's bytes exactly, also when the socket fills up and the sender has to wait for room, and a
/// file that shrank under the send must fail it rather than send short.
/// </summary>
public sealed class SocketFileSenderTests : IDisposable
{
    private readonly TempDirectory _dir = new("sendfile");

    private string FilePath => _dir.Combine("00000000000000000000.log");

    public void Dispose() => _dir.Dispose();

    [SkippableFact]
    public async Task A_range_reaches_the_peer_byte_for_byte_even_when_the_socket_is_full()
    {
        Skip.IfNot(SocketFileSender.IsSupported, "sendfile is used on Linux only");
        byte[] content = WriteFile(6 * 1024 * 1024);
        const int position = 12345;
        int length = content.Length - position - 999;
        (Socket sender, Socket receiver) = await ConnectedPairAsync();
        using (sender)
        using (receiver)
        {
            using SafeFileHandle file = File.OpenHandle(FilePath);
            using FileRegion region = Lease(file, position, length);

            // Nobody reads yet: the socket fills up, so the send must wait for room. Two calls, the
            // second from the middle of the region, as a response's parts are sent one by one.
            int half = length / 2;
            ValueTask<long> sending = SocketFileSender.SendAsync(sender, region, 0, half);
            Assert.False(sending.IsCompleted);

            Task<byte[]> receiving = ReceiveAsync(receiver, length);
            long copied = await sending;
            copied += await SocketFileSender.SendAsync(sender, region, half, length - half);
            byte[] received = await receiving;

            Assert.Equal(content.AsSpan(position, length).ToArray(), received);
            Assert.InRange(copied, 1, length / 2); // the wait went through one ordinary send at a time, the rest by sendfile
        }
    }

    [SkippableFact]
    public async Task A_file_shorter_than_the_range_fails_the_send()
    {
        Skip.IfNot(SocketFileSender.IsSupported, "sendfile is used on Linux only");
        byte[] content = WriteFile(100 * 1024);
        (Socket sender, Socket receiver) = await ConnectedPairAsync();
        using (sender)
        using (receiver)
        {
            using SafeFileHandle file = File.OpenHandle(FilePath);
            using FileRegion region = Lease(file, 0, 200 * 1024); // the log found 200 KiB; the file was truncated since

            Task<byte[]> receiving = ReceiveAsync(receiver, region.Length);
            await Assert.ThrowsAsync<IOException>(async () => await SocketFileSender.SendAsync(sender, region, 0, region.Length));
            sender.Shutdown(SocketShutdown.Send); // the connection closes, as the broker's does

            // What got out is the file's bytes, never anything past its end.
            byte[] received = await receiving;
            Assert.Equal(content.AsSpan(0, received.Length).ToArray(), received);
        }
    }

    private byte[] WriteFile(int length)
    {
        byte[] content = new byte[length];
        new Random(11).NextBytes(content);
        File.WriteAllBytes(FilePath, content);
        return content;
    }

    private static FileRegion Lease(SafeFileHandle file, long position, int length)
    {
        bool added = false;
        file.DangerousAddRef(ref added);
        return new FileRegion(file, position, length);
    }

    private static async Task<(Socket Sender, Socket Receiver)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 16 * 1024 };
        await receiver.ConnectAsync(listener.LocalEndPoint!);
        Socket sender = await listener.AcceptAsync();
        sender.SendBufferSize = 16 * 1024;

        // A broker's connection has received a request before it sends records: the asynchronous
        // receive put its socket in non-blocking mode, which sendfile relies on.
        await receiver.SendAsync(new byte[] { 1 }, SocketFlags.None);
        Assert.Equal(1, await sender.ReceiveAsync(new byte[1], SocketFlags.None));
        return (sender, receiver);
    }

    private static async Task<byte[]> ReceiveAsync(Socket socket, int length)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        byte[] buffer = new byte[length];
        int done = 0;
        while (done < length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(done), SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            done += n;
        }

        return buffer[..done];
    }
}
