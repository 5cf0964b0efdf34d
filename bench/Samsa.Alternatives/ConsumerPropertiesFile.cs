namespace Samsa.Alternatives;

/// <summary>
/// A consumer properties file as kafka-consumer-perf-test's <c>--consumer.config</c> reads it
/// (<c>key=value</c> lines; blank lines and lines starting with # or ! are skipped), so that
/// bench/run.sh can hand the mock consume baseline and the Samsa consume run the same file.
/// </summary>
internal static class ConsumerPropertiesFile
{
    public static List<KeyValuePair<string, string>> Load(string path)
    {
        var properties = new List<KeyValuePair<string, string>>();
        foreach (string raw in File.ReadLines(path))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or '!')
            {
                continue;
            }

            int separator = line.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new FormatException($"{path}: '{line}' is not key=value");
            }

            properties.Add(new KeyValuePair<string, string>(line[..separator].Trim(), line[(separator + 1)..].Trim()));
        }

        return properties;
    }
}
