namespace Samsa.LoadGenerator;

/// <summary>What a run measures.</summary>
internal enum LoadMode
{
    /// <summary>Produce only.</summary>
    Produce,

    /// <summary>Fetch what the topic already holds.</summary>
    Fetch,

    /// <summary>A produce phase, then a fetch phase over what it wrote.</summary>
    ProduceFetch,
}
