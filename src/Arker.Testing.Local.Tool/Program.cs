[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return await Arker.Testing.Local.LocalServerCommand.RunAsync(args);
