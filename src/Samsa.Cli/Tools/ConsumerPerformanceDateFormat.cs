using System.Globalization;
using System.Text;

namespace Samsa.Cli.Tools;

/// <summary>
/// --date-format takes a java.text.SimpleDateFormat pattern (default "yyyy-MM-dd HH:mm:ss:SSS");
/// this translates the common letters into a .NET custom format and formats in local time, as
/// the JVM's default time zone does. y M d H h m s S E a z Z X are translated, quoted text is
/// kept, every other character is printed as it is.
/// </summary>
internal sealed class ConsumerPerformanceDateFormat
{
    private readonly string _format;

    public ConsumerPerformanceDateFormat(string pattern)
    {
        _format = Translate(pattern);
    }

    public string Format(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToLocalTime().ToString(_format, CultureInfo.InvariantCulture);

    private static string Translate(string pattern)
    {
        var format = new StringBuilder();
        for (int i = 0; i < pattern.Length;)
        {
            char c = pattern[i];
            if (c == '\'')
            {
                int end = pattern.IndexOf('\'', i + 1);
                if (end == i + 1)
                {
                    format.Append("\\'"); // '' is a literal quote
                    i += 2;
                    continue;
                }

                end = end < 0 ? pattern.Length : end;
                foreach (char literal in pattern.AsSpan(i + 1, end - i - 1))
                {
                    format.Append('\\').Append(literal);
                }

                i = end + 1;
                continue;
            }

            int run = 1;
            while (i + run < pattern.Length && pattern[i + run] == c)
            {
                run++;
            }

            format.Append(c switch
            {
                'y' => run == 2 ? "yy" : "yyyy",
                'M' => new string('M', Math.Min(run, 4)),
                'd' => run >= 2 ? "dd" : "%d",
                'H' => run >= 2 ? "HH" : "%H",
                'h' => run >= 2 ? "hh" : "%h",
                'm' => run >= 2 ? "mm" : "%m",
                's' => run >= 2 ? "ss" : "%s",
                'S' => "fff",
                'E' => run >= 4 ? "dddd" : "ddd",
                'a' => "tt",
                'z' or 'Z' or 'X' => "zzz",
                _ => Escaped(c, run),
            });
            i += run;
        }

        return format.ToString();
    }

    private static string Escaped(char c, int count)
    {
        var text = new StringBuilder(count * 2);
        for (int i = 0; i < count; i++)
        {
            text.Append('\\').Append(c);
        }

        return text.ToString();
    }
}
