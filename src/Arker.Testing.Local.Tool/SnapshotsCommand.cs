using System.CommandLine;
using System.Diagnostics;

namespace Arker.Testing.Local.Tool;

/// <summary>
/// <c>arker-local snapshots [list|review|accept|reject]</c>: the snapshots test runs left for
/// review (<c>*.received.*</c> beside their <c>*.verified.*</c>), listed, reviewed one by one with
/// their differences, or accepted or rejected all at once or by name, as Verify's own tool does.
/// </summary>
internal static class SnapshotsCommand
{
    public static Command Create()
    {
        var folder = new Option<DirectoryInfo>("--path") { Description = "The folder to look in, with its subfolders (bin, obj, .git and TestResults are skipped). Default: the current folder.", DefaultValueFactory = _ => new DirectoryInfo(".") };
        folder.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<DirectoryInfo>() is { Exists: false } missing)
            {
                result.AddError($"--path must be an existing folder (got '{missing.FullName}').");
            }
        });
        var names = new Argument<string[]>("name") { Description = "Only the snapshots whose file name contains one of these (default: all).", Arity = ArgumentArity.ZeroOrMore };

        var list = new Command("list", "List the pending snapshots (the default).") { folder };
        list.SetAction(parse => List(Pending(parse.GetValue(folder)!)));
        var review = new Command("review", "Show each pending snapshot's differences and ask: accept, reject, skip or quit.") { folder };
        review.SetAction(parse => Review(Pending(parse.GetValue(folder)!), Console.In));
        var accept = new Command("accept", "Make the pending snapshots the verified ones.") { folder, names };
        accept.SetAction(parse => Apply(parse.GetValue(folder)!, parse.GetValue(names) ?? [], "Accepted", snapshot => snapshot.Accept()));
        var reject = new Command("reject", "Delete the pending snapshots; the verified ones stay.") { folder, names };
        reject.SetAction(parse => Apply(parse.GetValue(folder)!, parse.GetValue(names) ?? [], "Rejected", snapshot => snapshot.Reject()));

        var snapshots = new Command("snapshots", "The snapshots test runs left for review (*.received.*): list, review, accept, reject.") { folder, list, review, accept, reject };
        snapshots.SetAction(parse => List(Pending(parse.GetValue(folder)!)));
        return snapshots;
    }

    private static IReadOnlyList<PendingSnapshot> Pending(DirectoryInfo folder) => PendingSnapshot.FindUnder(folder.FullName);

    private static int List(IReadOnlyList<PendingSnapshot> pending)
    {
        Console.WriteLine(pending.Count == 0 ? "No pending snapshots." : $"{pending.Count} pending snapshot(s):");
        foreach (PendingSnapshot snapshot in pending)
        {
            Console.WriteLine($"  {Relative(snapshot.Received)}  ({(snapshot.IsNew ? "new" : "differs from " + Path.GetFileName(snapshot.Verified))})");
        }

        return 0;
    }

    /// <summary>Each snapshot's difference, then a question; an answer per line on standard input (end of input: stop).</summary>
    private static int Review(IReadOnlyList<PendingSnapshot> pending, TextReader answers)
    {
        int accepted = 0, rejected = 0;
        foreach (PendingSnapshot snapshot in pending)
        {
            Console.WriteLine($"== {Relative(snapshot.Received)} ({(snapshot.IsNew ? "new" : "changed")})");
            string shown = File.ReadAllText(snapshot.Received); // what the answer is about
            Console.Write(Difference(snapshot));
            while (true)
            {
                Console.Write("[a]ccept, [r]eject, [s]kip, [q]uit? ");
                string? answer = answers.ReadLine()?.Trim().ToLowerInvariant();
                Console.WriteLine();
                switch (answer)
                {
                    case "a" or "accept" when Unchanged(snapshot, shown):
                        snapshot.Accept();
                        accepted++;
                        break;
                    case "r" or "reject" when Unchanged(snapshot, shown):
                        snapshot.Reject();
                        rejected++;
                        break;
                    case "a" or "accept" or "r" or "reject":
                        Console.WriteLine($"{Relative(snapshot.Received)} changed (or went) since it was shown, by a test run meanwhile: left as it is.");
                        break;
                    case "s" or "skip" or "":
                        break;
                    case null or "q" or "quit":
                        return Reviewed(accepted, rejected, pending.Count);
                    default:
                        continue;
                }

                break;
            }
        }

        return Reviewed(accepted, rejected, pending.Count);
    }

    /// <summary>Whether the received file still holds what the review showed (a test run may have written it again since).</summary>
    private static bool Unchanged(PendingSnapshot snapshot, string shown)
    {
        try
        {
            return File.ReadAllText(snapshot.Received) == shown;
        }
        catch (FileNotFoundException)
        {
            return false;
        }
    }

    private static int Reviewed(int accepted, int rejected, int pending)
    {
        Console.WriteLine($"Accepted {accepted}, rejected {rejected}, {pending - accepted - rejected} still pending.");
        return 0;
    }

    private static int Apply(DirectoryInfo folder, string[] names, string done, Action<PendingSnapshot> action)
    {
        IReadOnlyList<PendingSnapshot> pending = Pending(folder);
        string[] unmatched = [.. names.Where(name => !pending.Any(snapshot => Path.GetFileName(snapshot.Received).Contains(name, StringComparison.Ordinal)))];
        if (unmatched.Length > 0)
        {
            Console.Error.WriteLine($"No pending snapshot in {folder.FullName} matches {string.Join(", ", unmatched.Select(name => $"'{name}'"))}: nothing was changed. See them with: arker-local snapshots list");
            return 1;
        }

        PendingSnapshot[] chosen = [.. pending.Where(snapshot => names.Length == 0 || names.Any(name => Path.GetFileName(snapshot.Received).Contains(name, StringComparison.Ordinal)))];
        foreach (PendingSnapshot snapshot in chosen)
        {
            action(snapshot);
            Console.WriteLine($"{done} {Relative(snapshot.Received)}");
        }

        Console.WriteLine(chosen.Length == 0 ? "No pending snapshots." : $"{done} {chosen.Length} snapshot(s).");
        return 0;
    }

    /// <summary>The unified difference (the system's <c>diff -u</c>), or the new snapshot as it is.</summary>
    private static string Difference(PendingSnapshot snapshot)
    {
        if (snapshot.IsNew)
        {
            return File.ReadAllText(snapshot.Received).TrimEnd('\n') + "\n";
        }

        try
        {
            var start = new ProcessStartInfo("diff") { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "-u", "--label", "verified", "--label", "received", snapshot.Verified, snapshot.Received } };
            using Process diff = Process.Start(start)!;
            string output = diff.StandardOutput.ReadToEnd();
            diff.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return $"(no diff command here: compare {snapshot.Verified} with {snapshot.Received})\n";
        }
    }

    private static string Relative(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);
}
