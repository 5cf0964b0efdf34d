using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Samsa.Alternatives;

/// <summary>
/// librdkafka's mock-cluster API for the mock a client started with <c>test.mock.num.brokers</c>.
/// Confluent.Kafka does not wrap it, and the mock does not serve the admin client's CreateTopics
/// (it waits for a controller that never comes), so the two calls go to librdkafka directly.
/// </summary>
internal static partial class MockCluster
{
    private const string Library = "librdkafka";

    static MockCluster() => NativeLibrary.SetDllImportResolver(typeof(MockCluster).Assembly, ResolveLoadedLibrdkafka);

    /// <summary>Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions; returns the mock broker's host:port list.</summary>
    public static string CreateTopic(Handle client, string topic, int partitions)
    {
        // Handle keeps the rd_kafka_t in an internal SafeHandle: the only way to it from outside.
        PropertyInfo property = typeof(Handle).GetProperty("LibrdkafkaHandle", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new InvalidOperationException("this Confluent.Kafka version has no Handle.LibrdkafkaHandle");
        var handle = (SafeHandle)property.GetValue(client)!;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            IntPtr cluster = rd_kafka_handle_mock_cluster(handle.DangerousGetHandle());
            if (cluster == IntPtr.Zero)
            {
                throw new InvalidOperationException("the client has no mock cluster (test.mock.num.brokers unset?)");
            }

            int error = rd_kafka_mock_topic_create(cluster, topic, partitions, 1);
            if (error != 0)
            {
                throw new InvalidOperationException($"the mock refused topic {topic}: error {error}");
            }

            return Marshal.PtrToStringUTF8(rd_kafka_mock_cluster_bootstraps(cluster))
                ?? throw new InvalidOperationException("the mock cluster has no bootstrap address");
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The librdkafka that Confluent.Kafka loaded (it tries several builds in runtimes/, e.g. one
    /// without libsasl2): found in this process's mappings, so these calls reach the same library.
    /// </summary>
    private static IntPtr ResolveLoadedLibrdkafka(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
        {
            return IntPtr.Zero;
        }

        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            int path = line.IndexOf('/', StringComparison.Ordinal);
            if (path >= 0 && line.EndsWith("librdkafka.so", StringComparison.Ordinal))
            {
                return NativeLibrary.Load(line[path..]);
            }
        }

        return IntPtr.Zero;
    }

    [LibraryImport(Library)]
    private static partial IntPtr rd_kafka_handle_mock_cluster(IntPtr client);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rd_kafka_mock_topic_create(IntPtr cluster, string topic, int partitions, int replicationFactor);

    [LibraryImport(Library)]
    private static partial IntPtr rd_kafka_mock_cluster_bootstraps(IntPtr cluster);
}
