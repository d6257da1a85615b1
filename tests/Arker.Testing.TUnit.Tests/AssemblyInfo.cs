// The embedded local server these tests run against needs Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
