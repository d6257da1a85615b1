[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

return await Arker.Testing.Local.Tool.LocalServerCommand.RunAsync(args);
