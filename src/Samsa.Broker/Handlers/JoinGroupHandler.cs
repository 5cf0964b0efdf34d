using System.Net;
using Samsa.Broker.Groups;
using Samsa.Broker.Requests;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// JoinGroup (11): hands the join to the group coordinator; the response comes when the group's
/// join phase ends (the task parks, the connection keeps later responses in order).
/// </summary>
internal sealed class JoinGroupHandler(GroupCoordinator coordinator) : RequestHandler<JoinGroupRequestData, JoinGroupResponseData>
{
    public override ApiKey ApiKey => ApiKey.JoinGroup;

    public override short MinVersion => 0;

    public override short MaxVersion => 9;

    protected override async ValueTask<JoinGroupResponseData?> HandleAsync(RequestContext context, JoinGroupRequestData request, CancellationToken cancellationToken)
    {
        if (context.ApiVersion == 0)
        {
            // v0 has no rebalance timeout: the session timeout bounds the join phase.
            request.RebalanceTimeoutMs = request.SessionTimeoutMs;
        }

        JoinGroupResponseData response = await coordinator.JoinGroupAsync(
            request,
            context.ClientId,
            ClientHost(context.ClientAddress),
            requireKnownMemberId: context.ApiVersion >= 4,
            supportSkippingAssignment: context.ApiVersion >= 9).ConfigureAwait(false);
        if (context.ApiVersion < 7 && response.ProtocolName is null)
        {
            // Before v7 the protocol name cannot be null on the wire.
            response.ProtocolName = string.Empty;
        }

        return response;
    }

    /// <summary>Kafka's client host: the address as Java prints an InetAddress ("/127.0.0.1").</summary>
    internal static string ClientHost(EndPoint? address) =>
        address is IPEndPoint ip ? "/" + ip.Address.ToString() : string.Empty;
}
