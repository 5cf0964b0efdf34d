using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Samsa.Cli.CommandLine;

namespace Samsa.Cli.Clients;

/// <summary>
/// Checks the --bootstrap-server list before a tool hands it to librdkafka, which would otherwise
/// retry an unreachable broker for as long as the operation allows: each address is resolved and
/// connected to within <see cref="Timeout"/>, and the first that answers is asked for its
/// ApiVersions (v0, which every broker accepts) so a tool can tell which APIs the broker has —
/// librdkafka keeps that to itself, and the console consumer needs to know whether consumer groups
/// (FindCoordinator) are there.
/// </summary>
internal sealed class BootstrapProbe
{
    /// <summary>How long the tools wait for a bootstrap server before giving up with a message.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private const short ApiVersionsKey = 18;
    private const int MaxResponseBytes = 64 * 1024;

    private BootstrapProbe(string? reachedAddress, string firstAddress, HashSet<short>? apiKeys)
    {
        ReachedAddress = reachedAddress;
        FirstAddress = firstAddress;
        ApiKeys = apiKeys;
    }

    /// <summary>"host/ip:port" of the broker that answered, null when none did.</summary>
    public string? ReachedAddress { get; }

    /// <summary>"host/ip:port" of the first address tried, as Kafka's NetworkClient names node -1.</summary>
    public string FirstAddress { get; }

    /// <summary>The API keys the broker advertises; null when it could not be asked.</summary>
    public HashSet<short>? ApiKeys { get; }

    public bool Reachable => ReachedAddress is not null;

    public bool Supports(short apiKey) => ApiKeys is null || ApiKeys.Contains(apiKey);

    /// <summary>
    /// The Kafka client's warning for a bootstrap server it cannot reach, which names the address.
    /// </summary>
    public string UnreachableMessage(string clientDescription) =>
        $"[{clientDescription}] Connection to node -1 ({FirstAddress}) could not be established. Broker may not be available.";

    public static async Task<BootstrapProbe> RunAsync(string bootstrapServers, CancellationToken cancellationToken)
    {
        List<(string Host, int Port)> addresses = Parse(bootstrapServers);
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(Timeout);
        string? first = null;
        bool anyResolved = false;
        foreach ((string host, int port) in addresses)
        {
            IPAddress[] ips;
            try
            {
                ips = await Dns.GetHostAddressesAsync(host, budget.Token).ConfigureAwait(false);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                break;
            }

            foreach (IPAddress ip in ips)
            {
                anyResolved = true;
                string name = $"{host}/{ip}:{port.ToString(CultureInfo.InvariantCulture)}";
                first ??= name;
                HashSet<short>? keys;
                try
                {
                    keys = await AskApiVersionsAsync(new IPEndPoint(ip, port), budget.Token).ConfigureAwait(false);
                }
                catch (SocketException)
                {
                    continue;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    return new BootstrapProbe(null, first, null);
                }

                return new BootstrapProbe(name, first, keys);
            }
        }

        return anyResolved
            ? new BootstrapProbe(null, first ?? bootstrapServers, null)
            : throw new UsageException("No resolvable bootstrap urls given in bootstrap.servers");
    }

    private static List<(string Host, int Port)> Parse(string bootstrapServers)
    {
        var result = new List<(string, int)>();
        foreach (string part in bootstrapServers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon <= 0 || !int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            {
                throw new UsageException($"Invalid url in bootstrap.servers: {part}");
            }

            string host = part[..colon];
            if (host.StartsWith("PLAINTEXT://", StringComparison.OrdinalIgnoreCase))
            {
                host = host["PLAINTEXT://".Length..];
            }

            result.Add((host.Trim('[', ']'), port));
        }

        return result.Count > 0 ? result : throw new UsageException("No resolvable bootstrap urls given in bootstrap.servers");
    }

    /// <summary>
    /// Connects and sends ApiVersions v0. A broker that accepts the connection but answers with
    /// something unreadable (TLS, another protocol) still counts as reachable; its APIs are unknown.
    /// </summary>
    private static async Task<HashSet<short>?> AskApiVersionsAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endpoint, cancellationToken).ConfigureAwait(false);

        const string clientId = "samsa-cli-probe";
        byte[] request = new byte[4 + 2 + 2 + 4 + 2 + clientId.Length];
        BinaryPrimitives.WriteInt32BigEndian(request, request.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(4), ApiVersionsKey);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(6), 0);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 1);
        BinaryPrimitives.WriteInt16BigEndian(request.AsSpan(12), (short)clientId.Length);
        for (int i = 0; i < clientId.Length; i++)
        {
            request[14 + i] = (byte)clientId[i];
        }

        try
        {
            await socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            byte[] sizeBytes = new byte[4];
            await ReceiveExactlyAsync(socket, sizeBytes, cancellationToken).ConfigureAwait(false);
            int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
            if (size < 10 || size > MaxResponseBytes)
            {
                return null;
            }

            byte[] body = new byte[size];
            await ReceiveExactlyAsync(socket, body, cancellationToken).ConfigureAwait(false);
            short error = BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(4));
            int count = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(6));
            if (error != 0 || count < 0 || 10 + (count * 6) > size)
            {
                return null;
            }

            var keys = new HashSet<short>();
            for (int i = 0; i < count; i++)
            {
                keys.Add(BinaryPrimitives.ReadInt16BigEndian(body.AsSpan(10 + (i * 6))));
            }

            return keys;
        }
        catch (Exception e) when (e is SocketException or EndOfStreamException)
        {
            return null;
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException();
            }

            read += n;
        }
    }
}
