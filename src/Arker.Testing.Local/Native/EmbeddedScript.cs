namespace Arker.Testing.Local.Native;

/// <summary>
/// The server's own scripts, embedded in this assembly: Perl for what must happen in a child between
/// fork and exec (which .NET's process start cannot do), shell for what runs in VMs.
/// </summary>
internal static class EmbeddedScript
{
    /// <summary>The text of the script embedded as <paramref name="logicalName"/> (see the project file).</summary>
    public static string Read(string logicalName)
    {
        using Stream resource = typeof(EmbeddedScript).Assembly.GetManifestResourceStream(logicalName)
            ?? throw new InvalidOperationException($"{logicalName} is not embedded in {typeof(EmbeddedScript).Assembly.GetName().Name}");
        using var reader = new StreamReader(resource);
        return reader.ReadToEnd();
    }
}
