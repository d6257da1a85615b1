// The local server is built on Linux namespaces, overlayfs and cgroups.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
