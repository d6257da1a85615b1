using Arker.Testing.Fixtures;
using Microsoft.Testing.Platform.CommandLine;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.CommandLine;

namespace Arker.Testing.Platform;

/// <summary>
/// The <c>--arker-*</c> options. Each mirrors an environment variable and, when given, wins over
/// it; both are read by <see cref="ArkerTestingSettings.FromVariables"/>, so an option and its
/// variable take the same values. The API key has no option: command lines are visible to every
/// user of the machine.
/// </summary>
internal sealed class ArkerCommandLineOptions : ArkerExtension, ICommandLineOptionsProvider
{
    private static readonly ArkerTestingSettings Defaults = new();

    private static readonly ArkerOption[] Options =
    [
        new("arker-keep-failed", ArkerEnvironmentVariables.KeepFailed, ArgumentArity.Zero, "Keep a failed test's VM for inspection, and print its id in the test's output."),
        new("arker-attach-always", ArkerEnvironmentVariables.AttachAlways, ArgumentArity.Zero, "Attach every test's VM transcript and AttachOnFailure files to its result, not only a failed test's."),
        new("arker-require", ArkerEnvironmentVariables.Require, ArgumentArity.Zero, "Fail, rather than skip, Arker tests when no Arker can be reached (on by default when CI=true)."),
        new("arker-reuse", ArkerEnvironmentVariables.Reuse, ArgumentArity.Zero, "Keep provisioned bases after the run and reuse them while their recipe is unchanged."),
        new("arker-pool-size", ArkerEnvironmentVariables.PoolSize, ArgumentArity.ExactlyOne, $"Forks made ahead of time for each base VM (default {Defaults.PoolSize}; 0 turns the warm pool off)."),
        new("arker-max-vms", ArkerEnvironmentVariables.MaxVms, ArgumentArity.ExactlyOne, $"The most VMs the run keeps alive at once (default {Defaults.MaxLiveVms})."),
        new("arker-base-url", ArkerEnvironmentVariables.BaseUrl, ArgumentArity.ExactlyOne, "The Arker regional API host (with ARKER_API_KEY set)."),
        new("arker-global-url", ArkerEnvironmentVariables.GlobalUrl, ArgumentArity.ExactlyOne, "The Arker global API host (with ARKER_API_KEY set)."),
        new("arker-run-id", ArkerEnvironmentVariables.RunId, ArgumentArity.ExactlyOne, "How the id that names every VM of the run begins; each test application adds a suffix of its own (default: arker-run- and the time)."),
        new("arker-local-data-root", ArkerEnvironmentVariables.LocalDataRoot, ArgumentArity.ExactlyOne, "Where the embedded local Arker server keeps its VMs (default: $TMPDIR/arker-local as root; without root /dev/shm/arker-local-<uid>, or $TMPDIR/arker-local-<uid> where /dev/shm is no tmpfs)."),
    ];

    public override string Description => "Options of Arker.Testing: VMs per test on Arker.";

    public IReadOnlyCollection<CommandLineOption> GetCommandLineOptions() =>
        [.. Options.Select(o => new CommandLineOption(o.Name, $"{o.Description} Same as {o.Variable}{(o.Arity == ArgumentArity.Zero ? "=1" : "")}.", o.Arity, isHidden: false))];

    public Task<ValidationResult> ValidateOptionArgumentsAsync(CommandLineOption commandOption, string[] arguments)
    {
        ArkerOption option = Options.Single(o => o.Name == commandOption.Name);
        if (option.Arity == ArgumentArity.Zero)
        {
            return ValidationResult.ValidTask;
        }

        string? error = Check(name => name == option.Variable ? arguments[0] : null);
        return error is null ? ValidationResult.ValidTask : ValidationResult.InvalidTask(error.Replace(option.Variable, "--" + option.Name, StringComparison.Ordinal));
    }

    public Task<ValidationResult> ValidateCommandLineOptionsAsync(ICommandLineOptions commandLineOptions) =>
        Check(Variables(commandLineOptions)) is { } error ? ValidationResult.InvalidTask(error) : ValidationResult.ValidTask;

    /// <summary>The run's settings: the environment, overridden by the options given.</summary>
    public static ArkerTestingSettings ReadSettings(ICommandLineOptions commandLineOptions) =>
        ArkerTestingSettings.FromVariables(Variables(commandLineOptions));

    private static Func<string, string?> Variables(ICommandLineOptions commandLineOptions)
    {
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ArkerOption option in Options)
        {
            if (commandLineOptions.TryGetOptionArgumentList(option.Name, out string[]? arguments))
            {
                given[option.Variable] = option.Arity == ArgumentArity.Zero ? "1" : arguments[0];
            }
        }

        return name => given.TryGetValue(name, out string? value) ? value : Environment.GetEnvironmentVariable(name);
    }

    private static string? Check(Func<string, string?> variables)
    {
        try
        {
            ArkerTestingSettings.FromVariables(variables);
            return null;
        }
        catch (ArgumentException ex)
        {
            return ex.Message;
        }
    }

    private sealed record ArkerOption(string Name, string Variable, ArgumentArity Arity, string Description);
}
