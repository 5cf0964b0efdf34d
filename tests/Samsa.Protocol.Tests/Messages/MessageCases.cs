using Samsa.Protocol.Messages;

namespace Samsa.Protocol.Tests.Messages;

/// <summary>Every (API, version, request or response) our schemas cover, as xunit theory data.</summary>
public static class MessageCases
{
    public static TheoryData<ApiKey, short, bool> All()
    {
        var data = new TheoryData<ApiKey, short, bool>();
        foreach (short key in ApiMessageTable.Keys)
        {
            var apiKey = (ApiKey)key;
            for (short v = ApiMessageTable.LowestVersion(apiKey); v <= ApiMessageTable.HighestVersion(apiKey); v++)
            {
                data.Add(apiKey, v, true);
                data.Add(apiKey, v, false);
            }
        }

        return data;
    }

    public static IApiMessage Create(ApiKey key, bool isRequest) =>
        isRequest ? ApiMessageTable.CreateRequest(key)! : ApiMessageTable.CreateResponse(key)!;
}
