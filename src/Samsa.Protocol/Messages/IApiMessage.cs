using Samsa.Protocol.Primitives;

namespace Samsa.Protocol.Messages;

/// <summary>
/// A generated request or response body: knows its API and reads or writes itself at a version.
/// Headers and framing are separate (<see cref="RequestHeader"/>, <see cref="ResponseHeader"/>).
/// </summary>
public interface IApiMessage
{
    ApiKey ApiKey { get; }

    /// <summary>Decodes the body; throws <see cref="ProtocolException"/> on malformed input.</summary>
    void Read(ref ProtocolReader reader, short version);

    void Write(ref ProtocolWriter writer, short version);
}

/// <summary>A request body (client to broker, or controller to broker).</summary>
public interface IRequestData : IApiMessage;

/// <summary>A response body.</summary>
public interface IResponseData : IApiMessage;
