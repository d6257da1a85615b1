[assembly: AssemblyFixture(typeof(Arker.Testing.Local.Tests.Infrastructure.LocalServerFixture))]

// The local server, and so these tests, run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
