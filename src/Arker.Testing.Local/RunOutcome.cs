namespace Arker.Testing.Local;

/// <summary>What a command run in a VM yields, handed from its sandbox up through the VM registry to the API.</summary>
internal sealed record RunOutcome(byte[] Stdout, byte[] Stderr, int ExitCode, TimeSpan Duration, string SessionId, string Cwd);
