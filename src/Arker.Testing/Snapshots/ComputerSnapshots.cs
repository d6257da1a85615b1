using System.Runtime.CompilerServices;
using System.Text;
using Arker.Testing.Client;
using Arker.Testing.Shared;

namespace Arker.Testing.Snapshots;

/// <summary>Snapshots of what happens in a VM: a command's transcript, a file, a directory listing with hashes.</summary>
public static class ComputerSnapshots
{
    /// <summary>Runs <paramref name="command"/> and verifies its transcript: the command, exit code, stdout and stderr.</summary>
    public static async Task<RunResult> VerifyRunAsync(this Computer vm, string command, SnapshotSettings? settings = null, CancellationToken cancellationToken = default, [CallerFilePath] string sourceFile = "", [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(vm);
        RunResult result = await vm.RunAsync(command, cancellationToken);
        await Snapshot.VerifyAsync(Transcript(result), settings, "txt", sourceFile, member);
        return result;
    }

    /// <summary>Verifies the content of one file of the VM.</summary>
    public static async Task VerifyFileAsync(this Computer vm, string path, SnapshotSettings? settings = null, CancellationToken cancellationToken = default, [CallerFilePath] string sourceFile = "", [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(vm);
        string content = await vm.Sync.ReadFileTextAsync(path, cancellationToken);
        await Snapshot.VerifyAsync(content, settings, "txt", sourceFile, member);
    }

    /// <summary>Verifies a directory's files (relative path, size, SHA-256), sorted.</summary>
    public static async Task VerifyDirectoryAsync(this Computer vm, string directory, SnapshotSettings? settings = null, CancellationToken cancellationToken = default, [CallerFilePath] string sourceFile = "", [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(vm);
        string listing = await ListAsync(vm, directory, cancellationToken);
        await Snapshot.VerifyAsync($"{directory}\n{listing}", settings, "txt", sourceFile, member);
    }

    /// <summary>
    /// Verifies what the test changed below each of <paramref name="directories"/> compared with the
    /// base it was forked from (<paramref name="baseVm"/>, such as the test's <c>BaseVm</c>): files
    /// created, modified (size or content) and deleted.
    /// </summary>
    public static async Task VerifyChangesAsync(this Computer vm, IDirectoryListings baseVm, IEnumerable<string> directories, SnapshotSettings? settings = null, CancellationToken cancellationToken = default, [CallerFilePath] string sourceFile = "", [CallerMemberName] string member = "")
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(baseVm);
        ArgumentNullException.ThrowIfNull(directories);
        var report = new StringBuilder();
        foreach (string directory in directories)
        {
            string before = await baseVm.ListingAsync(directory, cancellationToken);
            string after = await ListAsync(vm, directory, cancellationToken);
            report.Append(ChangeReport.Create(directory, before, after));
        }

        await Snapshot.VerifyAsync(report.ToString(), settings, "txt", sourceFile, member);
    }

    /// <summary>The transcript of a command as a snapshot shows it.</summary>
    public static string Transcript(RunResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        text.Append("$ ").AppendLine(result.Command).Append("exit code: ").AppendLine(result.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
        text.AppendLine("--- stdout ---").Append(result.StdoutText);
        if (result.Stdout.Length > 0 && !result.StdoutText.EndsWith('\n'))
        {
            text.AppendLine();
        }

        text.AppendLine("--- stderr ---").Append(result.StderrText);
        return text.ToString();
    }

    /// <summary>One line per file below <paramref name="directory"/>: path, size, SHA-256 (and a line per symbolic link).</summary>
    internal static async Task<string> ListAsync(Computer vm, string directory, CancellationToken cancellationToken)
    {
        string quoted = ShellQuoting.Quote(directory);
        RunResult r = await vm.RunAsync(
            $"cd {quoted} 2>/dev/null || exit 0; find . \\( -type f -o -type l \\) -printf '%P\\t%s\\t%y\\n' | LC_ALL=C sort | while IFS=\"$(printf '\\t')\" read -r p s y; do if [ \"$y\" = l ]; then printf '%s -> %s\\n' \"$p\" \"$(readlink \"$p\")\"; else printf '%s  %s bytes  %s\\n' \"$p\" \"$s\" \"$(sha256sum < \"$p\" | cut -c1-16)\"; fi; done",
            new RunOptions { SessionId = "arker-snapshot" },
            cancellationToken);
        return r.ExitCode == 0
            ? r.StdoutText
            : throw new InvalidOperationException(Assertions.RunResultAssertions.Describe(r, $"to list {directory}"));
    }
}
