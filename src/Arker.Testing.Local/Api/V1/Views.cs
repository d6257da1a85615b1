using System.Security.Cryptography;
using System.Text;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>The server's VMs, sessions and runs as the current API shows them.</summary>
internal static class Views
{
    /// <summary>The provider the local server reports for its one placement.</summary>
    public const string Provider = "local";

    public static VmBody Vm(VmRecord vm, bool listing = false) => new(
        vm.Id,
        vm.Organisation,
        ApiResponses.Timestamp(vm.CreatedAt),
        vm.Description,
        vm.IsPublic,
        VmService.IsRunning(vm) ? "running" : "idle",
        [.. VmService.Sessions(vm).Select(s => Session(vm, s))],
        new ResourcesBody(),
        new NetworkBody(listing && vm.SshPublicKeys.Count == 0 ? null : [.. vm.SshPublicKeys.Select(SshKey)]),
        vm.Name,
        vm.RootSourceId,
        vm.RootSourceName,
        vm.Region,
        Provider,
        vm.LastActiveAt is { } active ? ApiResponses.Timestamp(active) : null);

    public static SessionBody Session(VmRecord vm, VmSessionState session) =>
        new(session.Id, session.Index, session.IsRunning ? "running" : "idle", session.Cwd, session.Environment, vm.Id, vm.Name, vm.Region, Provider);

    public static RunBody Run(RunRecord run)
    {
        (string stdout, string stdoutEncoding) = ApiResponses.EncodeOutput(run.Stdout);
        (string stderr, string stderrEncoding) = ApiResponses.EncodeOutput(run.Stderr);
        return new RunBody(run.Id, run.SessionId, run.Command, StateName(run.State), ApiResponses.Timestamp(run.StartedAt), Completed(run), run.ExitCode,
            run.FailReason, stdout, stdoutEncoding, stderr, stderrEncoding, RetryCount: 0, run.VmId, run.VmName, VmService.RegionName, Provider);
    }

    public static RunSummaryBody RunSummary(RunRecord run) =>
        new(run.Id, run.SessionId, run.Command, StateName(run.State), ApiResponses.Timestamp(run.StartedAt), Completed(run), run.ExitCode,
            run.FailReason, run.VmId, run.VmName, VmService.RegionName, Provider);

    public static string StateName(RunState state) => state switch
    {
        RunState.Running => "running",
        RunState.Completed => "completed",
        RunState.Failed => "failed",
        _ => "cancelled",
    };

    private static string? Completed(RunRecord run) => run.CompletedAt is { } at ? ApiResponses.Timestamp(at) : null;

    /// <summary>A key with OpenSSH's fingerprint of it: SHA256 of the key blob, base64 without padding.</summary>
    private static SshPublicKeyBody SshKey(string key)
    {
        string[] parts = key.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        byte[] blob;
        try
        {
            blob = parts.Length > 1 ? Convert.FromBase64String(parts[1]) : Encoding.UTF8.GetBytes(key);
        }
        catch (FormatException)
        {
            blob = Encoding.UTF8.GetBytes(key);
        }

        return new SshPublicKeyBody(key, "SHA256:" + Convert.ToBase64String(SHA256.HashData(blob)).TrimEnd('='));
    }
}
