// The server's logic is marked Linux-only with its assembly; these tests need nothing else of
// the machine: no root, no bubblewrap, no VM.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
