// The local server is built on Linux namespaces, overlayfs and cgroups.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// The embedded default of Arker.Testing: runs without an API key get their VMs from here.
[assembly: Arker.Testing.Extensibility.LocalBackend(typeof(Arker.Testing.Local.LocalArkerServerBackend))]
