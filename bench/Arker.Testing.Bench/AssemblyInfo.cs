// The local server, and so these benchmarks, run on Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
