using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Messages;

/// <summary>A generated, versioned structure that reads and writes itself at a version.</summary>
public interface IProtocolData
{
    /// <summary>Decodes; throws <see cref="ProtocolException"/> on malformed input.</summary>
    void Read(ref ProtocolReader reader, short version);

    void Write(ref ProtocolWriter writer, short version);
}

/// <summary>
/// A generated request or response body: knows its API and reads or writes itself at a version.
/// Headers and framing are separate (<see cref="RequestHeader"/>, <see cref="ResponseHeader"/>).
/// </summary>
public interface IApiMessage : IProtocolData
{
    ApiKey ApiKey { get; }
}

/// <summary>A request body (client to broker, or controller to broker).</summary>
public interface IRequestData : IApiMessage;

/// <summary>A response body.</summary>
public interface IResponseData : IApiMessage;
