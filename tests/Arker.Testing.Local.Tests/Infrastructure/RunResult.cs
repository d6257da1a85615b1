using System.Text;

namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>The decoded result of a run.</summary>
public sealed record RunResult(byte[] Stdout, byte[] Stderr, int ExitCode, double DurationMs, string SessionId, string Cwd)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    public static RunResult From(JsonElement body) => new(
        Decode(body, "stdout"),
        Decode(body, "stderr"),
        body.GetProperty("exit_code").GetInt32(),
        body.GetProperty("duration_ms").GetDouble(),
        body.GetProperty("session_id").GetString()!,
        body.GetProperty("cwd").GetString()!);

    /// <summary>Asserts exit code 0 and returns the result.</summary>
    public RunResult Succeeded()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}\nstdout: {StdoutText}\nstderr: {StderrText}");
        return this;
    }

    private static byte[] Decode(JsonElement body, string stream)
    {
        string text = body.GetProperty(stream).GetString()!;
        return body.GetProperty(stream + "_encoding").GetString() == "base64" ? Convert.FromBase64String(text) : Encoding.UTF8.GetBytes(text);
    }
}
