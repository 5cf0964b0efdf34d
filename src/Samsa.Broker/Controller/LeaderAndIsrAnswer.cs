using Samsa.Protocol.Messages;

namespace Samsa.Broker.Controller;

/// <summary>
/// A broker's answer to one LeaderAndIsr, as the controller hears it back: which registration of
/// which broker (the request's broker epoch) and the per-partition errors, where
/// KAFKA_STORAGE_ERROR marks a replica whose log is offline.
/// </summary>
internal sealed record LeaderAndIsrAnswer(int BrokerId, long BrokerEpoch, LeaderAndIsrResponseData Response);
