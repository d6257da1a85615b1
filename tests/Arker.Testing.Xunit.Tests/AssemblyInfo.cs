[assembly: AssemblyFixture(typeof(Arker.Testing.Xunit.ArkerAssemblyFixture<Arker.Testing.Xunit.Tests.EchoToolTemplate>))]

// The embedded local server these tests run against needs Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
