using Samsa.Broker.Configuration;

namespace Samsa.Broker.Tests.Configuration;

public sealed class PropertiesFileTests
{
    [Fact]
    public void Parses_all_three_separators_and_trims_around_them()
    {
        var file = PropertiesFile.Parse("a=1\nb: 2\nc 3\n  d   =   4\ne\t:\tfive\nf   six  seven\n");

        Assert.Equal("1", file.Values["a"]);
        Assert.Equal("2", file.Values["b"]);
        Assert.Equal("3", file.Values["c"]);
        Assert.Equal("4", file.Values["d"]);
        Assert.Equal("five", file.Values["e"]);
        Assert.Equal("six  seven", file.Values["f"]);
    }

    [Fact]
    public void Skips_comments_and_blank_lines()
    {
        var file = PropertiesFile.Parse("# hash\n! bang\n   # indented comment\n\n   \nkey=value # not a comment\n");

        Assert.Single(file.Values);
        Assert.Equal("value # not a comment", file.Values["key"]);
    }

    [Fact]
    public void Key_without_value_is_empty_and_value_keeps_trailing_whitespace()
    {
        var file = PropertiesFile.Parse("lonely\nempty=\ntrailing=x  \n");

        Assert.Equal(string.Empty, file.Values["lonely"]);
        Assert.Equal(string.Empty, file.Values["empty"]);
        Assert.Equal("x  ", file.Values["trailing"]);
    }

    [Fact]
    public void Only_the_first_separator_splits()
    {
        var file = PropertiesFile.Parse("listeners=PLAINTEXT://host:9092\nk=a=b:c\n");

        Assert.Equal("PLAINTEXT://host:9092", file.Values["listeners"]);
        Assert.Equal("a=b:c", file.Values["k"]);
    }

    [Fact]
    public void Backslash_continues_a_line_and_leading_whitespace_of_the_next_is_dropped()
    {
        var file = PropertiesFile.Parse("log.dirs=/a,\\\n    /b,\\\n\t/c\nnext=1\n");

        Assert.Equal("/a,/b,/c", file.Values["log.dirs"]);
        Assert.Equal("1", file.Values["next"]);
        Assert.True(file.TryGetLine("next", out int line));
        Assert.Equal(4, line);
    }

    [Fact]
    public void Even_number_of_trailing_backslashes_is_a_literal_backslash_not_a_continuation()
    {
        var file = PropertiesFile.Parse("path=C:\\\\dir\\\\\nother=2\n");

        Assert.Equal("C:\\dir\\", file.Values["path"]);
        Assert.Equal("2", file.Values["other"]);
    }

    [Fact]
    public void Comment_line_ending_in_backslash_does_not_continue()
    {
        var file = PropertiesFile.Parse("# comment \\\nkey=value\n");

        Assert.Equal("value", file.Values["key"]);
    }

    [Fact]
    public void Continuation_at_end_of_text_is_dropped()
    {
        var file = PropertiesFile.Parse("key=value\\");

        Assert.Equal("value", file.Values["key"]);
    }

    [Fact]
    public void Decodes_escapes()
    {
        var file = PropertiesFile.Parse("tab=a\\tb\nnl=a\\nb\nslash=a\\\\b\nuni=\\u00e9\\u4E2D\nother=\\q\\=\n");

        Assert.Equal("a\tb", file.Values["tab"]);
        Assert.Equal("a\nb", file.Values["nl"]);
        Assert.Equal("a\\b", file.Values["slash"]);
        Assert.Equal("é中", file.Values["uni"]);
        Assert.Equal("q=", file.Values["other"]);
    }

    [Fact]
    public void Escaped_separators_belong_to_the_key()
    {
        var file = PropertiesFile.Parse("a\\=b\\:c\\ d=value\n");

        Assert.Equal("value", file.Values["a=b:c d"]);
    }

    [Fact]
    public void Malformed_unicode_escape_names_the_line()
    {
        var ex = Assert.Throws<ConfigException>(() => PropertiesFile.Parse("ok=1\nbad=\\u12\n"));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Last_duplicate_wins_and_its_line_is_reported()
    {
        var file = PropertiesFile.Parse("a=1\nb=2\na=3\n");

        Assert.Equal("3", file.Values["a"]);
        Assert.True(file.TryGetLine("a", out int line));
        Assert.Equal(3, line);
        Assert.Equal(["a", "b"], file.Values.Keys);
    }

    [Fact]
    public void Accepts_crlf_and_cr_line_endings()
    {
        var file = PropertiesFile.Parse("a=1\r\nb=2\rc=3");

        Assert.Equal("1", file.Values["a"]);
        Assert.Equal("2", file.Values["b"]);
        Assert.Equal("3", file.Values["c"]);
        Assert.True(file.TryGetLine("c", out int line));
        Assert.Equal(3, line);
    }

    [Fact]
    public void Empty_text_has_no_values()
    {
        Assert.Empty(PropertiesFile.Parse(string.Empty).Values);
    }
}
