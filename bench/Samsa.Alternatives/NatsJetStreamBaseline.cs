using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Samsa.Alternatives;

/// <summary>
/// What a NATS user would run instead of Kafka: JetStream's asynchronous publish with a bounded
/// window (as the Go client's PublishAsync with PublishAsyncMaxPending): every message goes to the
/// stream's subject with a reply subject, the server stores it in a file-backed stream (one
/// replica) and sends its PubAck there, and at most <see cref="AlternativeOptions.Window"/> acks are
/// outstanding. NATS.Net's awaited <c>PublishAsync</c> per message is a request-reply each: it
/// took about twice the client CPU per record and ran at a third of the rate, so the window is
/// kept here.
/// Timed from the first publish to the last ack; an ack that carries an error fails the run.
/// </summary>
internal static class NatsJetStreamBaseline
{
    public static async Task<BaselineResult> RunAsync(AlternativeOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        int window = (int)Math.Min(options.Window, options.Records);
        var natsOptions = NatsOpts.Default with
        {
            Url = options.Server,
            Name = "samsa-bench",
            // Acks must never be dropped: the window waits for every one of them.
            SubPendingChannelCapacity = Math.Max(1024, window * 2),
            SubPendingChannelFullMode = BoundedChannelFullMode.Wait,
        };
        await using var connection = new NatsConnection(natsOptions);
        await connection.ConnectAsync();
        var jetStream = new NatsJSContext(connection);
        string subject = options.Name + ".records";
        await jetStream.CreateStreamAsync(
            new StreamConfig(options.Name, [subject]) { Storage = StreamConfigStorage.File, NumReplicas = 1 },
            cancellationToken);

        string inbox = connection.NewInbox();
        await using INatsSub<ReadOnlyMemory<byte>> acks = await connection.SubscribeCoreAsync<ReadOnlyMemory<byte>>(inbox, cancellationToken: cancellationToken);
        using var slots = new SemaphoreSlim(window, window);
        long errors = 0;
        Task<long> ackReader = ReadAcksAsync(acks, slots, options.Records, () => Interlocked.Increment(ref errors), cancellationToken);

        byte[] payload = Payload.Create(options.RecordSize);
        long start = Stopwatch.GetTimestamp();
        for (long i = 0; i < options.Records; i++)
        {
            await slots.WaitAsync(cancellationToken);
            await connection.PublishAsync(subject, payload, replyTo: inbox, cancellationToken: cancellationToken);
        }

        long acked = await ackReader;
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        if (Interlocked.Read(ref errors) != 0)
        {
            throw new InvalidOperationException($"JetStream answered {errors} of {acked} publishes with an error");
        }

        StreamInfo info = (await jetStream.GetStreamAsync(options.Name, cancellationToken: cancellationToken)).Info;
        if (info.State.Messages != options.Records)
        {
            throw new InvalidOperationException($"the stream holds {info.State.Messages} messages, {options.Records} were acked");
        }

        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"nats: stream {options.Name}, file storage, {info.State.Messages} messages, {info.State.Bytes} bytes stored, up to {window} acks outstanding"));
        return new BaselineResult(options.Records, options.RecordSize, elapsed);
    }

    /// <summary>Counts acks until <paramref name="expected"/>, freeing one window slot each; an ack with "error" in it is a failed publish.</summary>
    private static async Task<long> ReadAcksAsync(INatsSub<ReadOnlyMemory<byte>> acks, SemaphoreSlim slots, long expected,
        Action onError, CancellationToken cancellationToken)
    {
        long count = 0;
        await foreach (NatsMsg<ReadOnlyMemory<byte>> ack in acks.Msgs.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ack.Data.Span.IndexOf("\"error\""u8) >= 0)
            {
                onError();
            }

            slots.Release();
            if (++count == expected)
            {
                break;
            }
        }

        return count;
    }
}
