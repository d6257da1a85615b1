using Arker.Testing.Client;
using Arker.Testing.Extensibility;

namespace Arker.Testing.Fixtures;

/// <summary>
/// A test's evidence, written and attached as the test ends (before its VM goes): the transcript
/// of its VM's commands and the VM files it named, in
/// <c>{results}/arker/{run id}/{test}/</c>, each attached through the test framework, so they reach
/// TRX files, IDEs and CI test tabs.
/// </summary>
internal static class TestEvidence
{
    private const int MaxFolderNameLength = 80;

    // Folders are chosen and made under one lock: the tests of a run end in parallel.
    private static readonly Lock FolderGate = new();

    /// <summary>Writes and attaches the evidence; returns the files attached, the transcript first.</summary>
    public static async Task<IReadOnlyList<string>> AttachAsync(Computer vm, VmEvidence evidence, TestInfo test, string folder, CancellationToken cancellationToken)
    {
        var attached = new List<string>();
        var notes = new List<string>();
        foreach (string path in evidence.Files)
        {
            string local = Path.Combine(folder, LocalFileName(path));
            try
            {
                await vm.Sync.DownloadFileAsync(path, local, cancellationToken);
                attached.Add(local);
                notes.Add($"{path}: attached as {Path.GetFileName(local)}");
            }
            catch (ArkerException ex)
            {
                notes.Add($"{path}: not attached ({ex.Code}: {ex.Message})");
            }
        }

        string transcript = Path.Combine(folder, "transcript.txt");
        await File.WriteAllTextAsync(transcript + ".tmp", TranscriptText.Format(vm.Id, test.DisplayName, evidence, notes), cancellationToken);
        File.Move(transcript + ".tmp", transcript, overwrite: true); // never half a transcript
        attached.Insert(0, transcript);
        foreach (string file in attached)
        {
            test.AddAttachment?.Invoke(file, file == transcript ? $"Arker: the commands VM {vm.Id} ran" : $"Arker: a file of VM {vm.Id}");
        }

        return attached;
    }

    /// <summary>
    /// A new folder for one test's evidence: <c>{results}/arker/{run id}/{class}.{method}.{VM id}</c>
    /// (each case of a theory has a VM of its own), with <c>.2</c>, <c>.3</c>… when the tests sharing
    /// a VM fail in the same method, so no test's evidence ever replaces another's.
    /// </summary>
    public static string NewFolder(ArkerTestingSettings settings, string runId, TestInfo test, string vmId)
    {
        string results = settings.ResultsDirectory ?? Path.Combine(AppContext.BaseDirectory, "TestResults");
        string name = FileSafe(test.TestMethod is { } method ? $"{test.TestClass.Name}.{method.Name}" : test.DisplayName);
        if (name.Length > MaxFolderNameLength)
        {
            name = name[..MaxFolderNameLength];
        }

        string folder = Path.Combine(results, "arker", runId, $"{name}.{FileSafe(vmId)}");
        lock (FolderGate)
        {
            string candidate = folder;
            for (int n = 2; Directory.Exists(candidate); n++)
            {
                candidate = $"{folder}.{n}";
            }

            Directory.CreateDirectory(candidate);
            return candidate;
        }
    }

    /// <summary>The line a test's output gets: what was attached and where, or why nothing was.</summary>
    public static string? Line(string transcriptOf, IReadOnlyList<string> attached, string? problem) =>
        attached.Count == 0 ? problem : $"Attached {transcriptOf} transcript{(attached.Count > 1 ? $" and {attached.Count - 1} file(s)" : "")}: {Path.GetDirectoryName(attached[0])}";

    /// <summary><c>/var/log/app.log</c> becomes <c>var_log_app.log</c>.</summary>
    internal static string LocalFileName(string vmPath) => FileSafe(vmPath.Trim('/'));

    private static string FileSafe(string text)
    {
        char[] invalid = [.. Path.GetInvalidFileNameChars(), '/', '\\', ' ', '"', '\'', ':', '*', '?', '<', '>', '|'];
        return string.Concat(text.Select(c => invalid.Contains(c) ? '_' : c));
    }
}
