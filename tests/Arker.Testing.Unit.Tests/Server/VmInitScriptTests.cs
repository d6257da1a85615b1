using System.Diagnostics;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>
/// The server's Perl programs load no module at run time (they start with every session, or with
/// the server): here they are compiled with <c>strict</c> and <c>warnings</c>, which they must pass.
/// </summary>
public sealed class VmInitScriptTests
{
    [Theory]
    [InlineData("Arker.Testing.Local.Isolation.vm-init.pl")]
    [InlineData("Arker.Testing.Local.Isolation.namespace-helper.pl")]
    [InlineData("Arker.Testing.Local.Isolation.sandbox-start.pl")]
    [InlineData("Arker.Testing.Local.Isolation.vm-network.pl")]
    public async Task Compiles_under_strict_and_warnings(string resource)
    {
        string script;
        using (Stream stream = typeof(Arker.Testing.Local.LocalArkerServer).Assembly.GetManifestResourceStream(resource)!)
        using (var reader = new StreamReader(stream))
        {
            script = await reader.ReadToEndAsync(TestContext.Current.CancellationToken);
        }

        using Process perl = Process.Start(new ProcessStartInfo("perl", ["-Mstrict", "-Mwarnings=FATAL,all", "-c", "-e", script]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        string said = await perl.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await perl.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(perl.ExitCode == 0, said);
        Assert.Contains("-e syntax OK", said, StringComparison.Ordinal);
    }
}
