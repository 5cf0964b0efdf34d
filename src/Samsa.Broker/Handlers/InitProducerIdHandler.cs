using Microsoft.Extensions.Logging;
using Samsa.Broker.Producers;
using Samsa.Broker.Requests;
using Samsa.Coordination;
using Samsa.Protocol;
using Samsa.Protocol.Messages;

namespace Samsa.Broker.Handlers;

/// <summary>
/// InitProducerId (22) for idempotent producers: a null transactional id gets a brand-new producer
/// id at epoch 0, as Kafka answers (also when a v3+ producer presents its old id and epoch to bump
/// after an error: a new id is always a valid answer without transactions). Transactional ids need
/// a transaction coordinator, which this broker does not run: they get COORDINATOR_NOT_AVAILABLE,
/// Kafka's answer when no transaction coordinator can serve, so a transactional producer fails its
/// initTransactions within its own timeout instead of being told it is unauthorized or malformed.
/// </summary>
internal sealed partial class InitProducerIdHandler(ProducerIdAllocator producerIds, ILogger logger) : RequestHandler<InitProducerIdRequestData, InitProducerIdResponseData>
{
    public override ApiKey ApiKey => ApiKey.InitProducerId;

    public override short MinVersion => 0;

    // v5 only adds PRODUCER_FENCED for transactional producers; v6 adds two-phase commit (KIP-939).
    public override short MaxVersion => 5;

    protected override async ValueTask<InitProducerIdResponseData?> HandleAsync(RequestContext context, InitProducerIdRequestData request, CancellationToken cancellationToken)
    {
        var response = new InitProducerIdResponseData { ProducerId = -1, ProducerEpoch = -1 };
        if ((request.ProducerId < 0) != (request.ProducerEpoch < 0))
        {
            // Kafka: the producer id and epoch must both be -1 or both be set.
            response.ErrorCode = (short)ErrorCode.InvalidRequest;
            return response;
        }

        if (request.TransactionalId is not null)
        {
            response.ErrorCode = (short)(request.TransactionalId.Length == 0 ? ErrorCode.InvalidRequest : ErrorCode.CoordinatorNotAvailable);
            return response;
        }

        try
        {
            response.ProducerId = await producerIds.NextAsync(cancellationToken).ConfigureAwait(false);
            response.ProducerEpoch = 0;
        }
        catch (Exception e) when (e is CoordinationException or InvalidDataException)
        {
            // The id block could not be claimed now; the client retries InitProducerId.
            LogAllocationFailed(logger, e.Message);
            response.ErrorCode = (short)ErrorCode.CoordinatorNotAvailable;
        }

        return response;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not allocate a producer id: {Reason}")]
    private static partial void LogAllocationFailed(ILogger logger, string reason);
}
