using System.Globalization;
using Arker.Testing.Extensibility;

namespace Arker.Testing.Snapshots;

/// <summary>Which test a snapshot belongs to: its files are <c>{Class}.{Method}{Parameters}.verified.{ext}</c> in <see cref="Directory"/>.</summary>
/// <param name="Directory">The folder of the test's source file.</param>
/// <param name="ClassName">The test class's name.</param>
/// <param name="MethodName">The test method's name.</param>
/// <param name="Parameters">Theory parameters as <c>_name=value</c> pairs, or empty.</param>
public sealed record SnapshotIdentity(string Directory, string ClassName, string MethodName, string Parameters = "")
{
    /// <summary>The file name without the <c>.verified.ext</c> part.</summary>
    public string BaseName => $"{ClassName}.{MethodName}{Parameters}";

    /// <summary>
    /// The identity of the snapshot <paramref name="member"/> (the caller) takes in
    /// <paramref name="test"/>: the test's class, method and arguments (a caller that names its
    /// snapshot, when a test has several, passes its own member name), or without a running test,
    /// the source file's name and the member.
    /// </summary>
    internal static SnapshotIdentity Of(TestInfo? test, string sourceFile, string member)
    {
        string directory = SourceDirectory(sourceFile);
        if (test?.TestMethod is not { } method)
        {
            return new SnapshotIdentity(directory, Path.GetFileNameWithoutExtension(sourceFile), member);
        }

        string name = member.Length > 0 && member != method.Name ? member : method.Name;
        System.Reflection.ParameterInfo[] parameters = method.GetParameters();
        string arguments = string.Concat(test.Arguments.Select((value, i) =>
            $"_{(i < parameters.Length ? parameters[i].Name : "arg" + i)}={FileNameText(value)}"));
        return new SnapshotIdentity(directory, test.TestClass.Name, name, arguments);
    }

    /// <summary>An argument as it may stand in a file name: characters that may not, spaces, dots and slashes become '_'.</summary>
    private static string FileNameText(object? value)
    {
        string text = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null";
        char[] invalid = Path.GetInvalidFileNameChars();
        return new string([.. text.Select(c => invalid.Contains(c) || c is ' ' or '.' or '/' or '\\' ? '_' : c)]);
    }

    /// <summary>
    /// Finds a source file's folder, also when a deterministic (CI) build rewrote the path to
    /// <c>/_/…</c>: that path is looked for below each folder above the test's output folder.
    /// </summary>
    internal static string SourceDirectory(string sourceFile)
    {
        string? directory = Path.GetDirectoryName(sourceFile);
        if (directory is not null && System.IO.Directory.Exists(directory))
        {
            return directory;
        }

        string relative = sourceFile.Replace('\\', '/');
        if (relative.StartsWith("/_/", StringComparison.Ordinal))
        {
            relative = relative[3..];
            for (var candidate = new DirectoryInfo(AppContext.BaseDirectory); candidate is not null; candidate = candidate.Parent)
            {
                string full = Path.Combine(candidate.FullName, relative);
                if (File.Exists(full))
                {
                    return Path.GetDirectoryName(full)!;
                }
            }
        }

        throw new DirectoryNotFoundException($"Cannot find the folder of the test source file '{sourceFile}' to keep its snapshots beside it.");
    }
}
