namespace Arker.Testing.Local.Sandbox;

/// <summary>What a run returns to the API.</summary>
internal sealed record RunOutcome(byte[] Stdout, byte[] Stderr, int ExitCode, TimeSpan Duration, string SessionId, string Cwd);
