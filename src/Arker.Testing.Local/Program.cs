// `dotnet run --project src/Arker.Testing.Local` runs the server; the arker-local tool package
// (src/Arker.Testing.Local.Tool) runs the same command.
return await Arker.Testing.Local.LocalServerCommand.RunAsync(args);
