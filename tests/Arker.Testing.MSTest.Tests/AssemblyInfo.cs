// The embedded local server these tests run against needs Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Each test has a VM of its own, so they may all run at once.
[assembly: Parallelize(Scope = ExecutionScope.MethodLevel)]
