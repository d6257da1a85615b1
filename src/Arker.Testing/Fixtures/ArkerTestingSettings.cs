using System.Globalization;
using Arker.Testing.Settings;

namespace Arker.Testing.Fixtures;

/// <summary>
/// How a test run reaches Arker, read once from the environment. Every setting is an environment
/// variable, so the same test code runs locally, on CI and against the cloud.
/// </summary>
public sealed record ArkerTestingSettings
{
    /// <summary>The Arker API key (<c>ARKER_API_KEY</c>). Set: the Arker cloud. Unset: the embedded local server.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The regional host (<c>ARKER_BASE_URL</c>); the client's default when unset.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>The global host (<c>ARKER_GLOBAL_URL</c>); the client's default when unset.</summary>
    public Uri? GlobalUrl { get; init; }

    /// <summary>Fail, rather than skip, when no Arker can be reached (<c>CI=true</c> or <c>ARKER_TESTING_REQUIRE=1</c>).</summary>
    public bool Require { get; init; }

    /// <summary>Keep a failed test's VM for inspection (<c>ARKER_TESTING_KEEP_FAILED=1</c>).</summary>
    public bool KeepFailed { get; init; }

    /// <summary>
    /// Attach every test's evidence (its VM's transcript and the files named with
    /// <c>AttachOnFailure</c>), not only a failed test's (<c>ARKER_TESTING_ATTACH_ALWAYS=1</c>).
    /// </summary>
    public bool AttachAlways { get; init; }

    /// <summary>
    /// Where a test's evidence files are written, below <c>arker/</c> (the Microsoft.Testing.Platform
    /// extension sets the run's test results folder); <c>TestResults</c> beside the test application when unset.
    /// </summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>Forks made ahead of time for each base VM (<c>ARKER_TESTING_POOL_SIZE</c>, default 2; 0 turns the pool off).</summary>
    public int PoolSize { get; init; } = 2;

    /// <summary>The most VMs the run keeps alive at once (<c>ARKER_TESTING_MAX_VMS</c>, default 64).</summary>
    public int MaxLiveVms { get; init; } = 64;

    /// <summary>Keep provisioned bases after the run and reuse them while their recipe is unchanged (<c>ARKER_TESTING_REUSE=1</c>).</summary>
    public bool ReuseBases { get; init; }

    /// <summary>
    /// How the run's id begins (<c>ARKER_TESTING_RUN_ID</c>, 1 to 57 letters, digits, '-' or
    /// '_'). Each test application adds a random suffix of its own (see <see cref="MakeRunId"/>),
    /// so test applications started in parallel with the same prefix never touch each other's VMs.
    /// </summary>
    public string? RunId { get; init; }

    /// <summary>
    /// The exact run id a test platform chose for this test application
    /// (<c>ARKER_TESTING_ASSIGNED_RUN_ID</c>): the Microsoft.Testing.Platform extension sets it for
    /// its test host, so that it knows which VMs to delete should the host die.
    /// </summary>
    public string? AssignedRunId { get; init; }

    /// <summary>
    /// On the embedded local server, keep each template's provisioned base in the server's base
    /// cache and, in later runs, fork it from there while its recipe hash is unchanged instead of
    /// provisioning again (<c>ARKER_TESTING_LOCAL_CACHE</c>; <c>0</c> turns it off, <c>clear</c>
    /// empties it first: see <see cref="ClearLocalBaseCache"/>).
    /// </summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool LocalBaseCache { get; init; } = true;

    /// <summary>Empty the embedded server's base cache when the run starts, so every template is provisioned afresh and stored again (<c>ARKER_TESTING_LOCAL_CACHE=clear</c>).</summary>
    public bool ClearLocalBaseCache { get; init; }

    /// <summary>
    /// Where the records of the bases kept on the Arker service (<see cref="ReuseBases"/>) are
    /// kept: what each one's provisioning read from this machine, checked before it is reused
    /// (<c>ARKER_TESTING_REUSE_DIR</c>); <see cref="DefaultKeptBasesRecordsDirectory"/> when unset.
    /// </summary>
    public string? KeptBasesRecordsDirectory { get; init; }

    /// <summary><c>$XDG_CACHE_HOME/arker-testing/kept-bases</c>, else <c>~/.cache/arker-testing/kept-bases</c>.</summary>
    public static string DefaultKeptBasesRecordsDirectory() =>
        Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "arker-testing", "kept-bases");

    /// <summary>Where the embedded local server keeps its base cache (<c>ARKER_TESTING_LOCAL_CACHE_DIR</c>); <c>$XDG_CACHE_HOME/arker-local</c> when unset.</summary>
    public string? LocalCacheDirectory { get; init; }

    /// <summary>Where the embedded local server keeps its VMs (<c>ARKER_TESTING_LOCAL_DATA_ROOT</c>); the system's temporary folder when unset.</summary>
    public string? LocalDataRoot { get; init; }

    /// <summary>
    /// What public base names (<c>ubuntu-base</c>, <c>ubuntu-coding</c>, <c>ubuntu-full</c>, or any
    /// other) stand for in the embedded local server, over its defaults: an image reference, a root
    /// filesystem directory or archive, or <c>arkuntu</c> for the server's own base
    /// (<c>ARKER_TESTING_LOCAL_IMAGES</c>, <c>name=reference</c> entries separated by <c>;</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> LocalImages { get; init; } = new Dictionary<string, string>();

    /// <summary>Reads the settings from environment variables.</summary>
    public static ArkerTestingSettings FromEnvironment() => FromVariables(Environment.GetEnvironmentVariable);

    /// <summary>Reads the settings through <paramref name="variable"/> (for tests of the settings themselves).</summary>
    public static ArkerTestingSettings FromVariables(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        LocalBaseCacheSetting localCache = SettingValues.LocalBaseCache(ArkerEnvironmentVariables.LocalCache, variable(ArkerEnvironmentVariables.LocalCache));
        return new ArkerTestingSettings
        {
            ApiKey = NonEmpty(variable(ArkerEnvironmentVariables.ApiKey)),
            BaseUrl = Url(variable, ArkerEnvironmentVariables.BaseUrl),
            GlobalUrl = Url(variable, ArkerEnvironmentVariables.GlobalUrl),
            Require = SettingValues.LenientFlag(variable("CI")) || Flag(variable, ArkerEnvironmentVariables.Require),
            KeepFailed = Flag(variable, ArkerEnvironmentVariables.KeepFailed),
            AttachAlways = Flag(variable, ArkerEnvironmentVariables.AttachAlways),
            PoolSize = Number(variable, ArkerEnvironmentVariables.PoolSize, 2, minimum: 0),
            MaxLiveVms = Number(variable, ArkerEnvironmentVariables.MaxVms, 64, minimum: 1),
            ReuseBases = Flag(variable, ArkerEnvironmentVariables.Reuse),
            KeptBasesRecordsDirectory = NonEmpty(variable(ArkerEnvironmentVariables.ReuseDirectory)),
            RunId = RunIdentifier(variable, ArkerEnvironmentVariables.RunId, MaxRunIdLength - RunIdSuffixLength),
            AssignedRunId = RunIdentifier(variable, ArkerEnvironmentVariables.AssignedRunId, MaxRunIdLength),
            LocalDataRoot = NonEmpty(variable(ArkerEnvironmentVariables.LocalDataRoot)),
            LocalBaseCache = localCache is not LocalBaseCacheSetting.Off,
            ClearLocalBaseCache = localCache is LocalBaseCacheSetting.Clear,
            LocalCacheDirectory = NonEmpty(variable(ArkerEnvironmentVariables.LocalCacheDirectory)),
            LocalImages = SettingValues.NamedValues(ArkerEnvironmentVariables.LocalImages, variable(ArkerEnvironmentVariables.LocalImages)),
        };
    }

    /// <summary>
    /// The id this run's VMs are named with: <see cref="AssignedRunId"/> when a test platform chose
    /// it, else <see cref="RunId"/> with a random suffix, else a new id made of the time and a
    /// random suffix (so runs sort by time and never collide).
    /// </summary>
    /// <param name="clock">The clock of the default prefix's time; <see langword="null"/> is the system's.</param>
    public string MakeRunId(TimeProvider? clock = null)
    {
        if (AssignedRunId is { } assigned)
        {
            return assigned;
        }

        string prefix = RunId ?? "arker-run-" + (clock ?? TimeProvider.System).GetUtcNow().ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        return prefix + "-" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3));
    }

    private const int MaxRunIdLength = 64;
    private const int RunIdSuffixLength = 7;

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool Flag(Func<string, string?> variable, string name) => SettingValues.Flag(name, variable(name));

    private static Uri? Url(Func<string, string?> variable, string name) =>
        NonEmpty(variable(name)) is not { } text ? null
        : Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) ? uri
        : throw new ArgumentException($"{name} must be an absolute URL such as https://aws-us-west-2.burst.arker.ai (got '{text}').");

    // Records print every property; the API key must never reach a log or a test's output.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"ApiKey = {(ApiKey is null ? "(none)" : "(set)")}, BaseUrl = {BaseUrl}, GlobalUrl = {GlobalUrl}, Require = {Require}, KeepFailed = {KeepFailed}, ");
        builder.Append(CultureInfo.InvariantCulture, $"PoolSize = {PoolSize}, MaxLiveVms = {MaxLiveVms}, ReuseBases = {ReuseBases}, RunId = {RunId}, AssignedRunId = {AssignedRunId}, LocalDataRoot = {LocalDataRoot}");
        return true;
    }

    private static string? RunIdentifier(Func<string, string?> variable, string name, int maxLength) =>
        NonEmpty(variable(name)) is not { } text ? null
        : text.Length <= maxLength && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? text
        : throw new ArgumentException($"{name} must be 1 to {maxLength} letters, digits, '-' or '_' (got '{text}').");

    private static int Number(Func<string, string?> variable, string name, int fallback, int minimum) =>
        NonEmpty(variable(name)) is not { } text ? fallback
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= minimum ? value
        : throw new ArgumentException($"{name} must be a whole number of at least {minimum} (got '{text}').");
}
