[assembly: AssemblyFixture(typeof(Arker.Testing.Tests.Infrastructure.LocalServer))]

// The local server these tests run against needs Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
