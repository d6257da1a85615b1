namespace Arker.Testing;

/// <summary>
/// The environment variables Arker.Testing reads, by name: one place for each, which the client,
/// the settings, the snapshots and the test platform's options all use.
/// </summary>
public static class ArkerEnvironmentVariables
{
    /// <summary>The Arker API key; without one, tests run on the embedded local server.</summary>
    public const string ApiKey = "ARKER_API_KEY";

    /// <summary>The API's base URL: the current API's compute base (ending in <c>/api</c>), or a 0.1 host.</summary>
    public const string BaseUrl = "ARKER_BASE_URL";

    /// <summary>The 0.1 API's global host.</summary>
    public const string GlobalUrl = "ARKER_GLOBAL_URL";

    /// <summary>The current API's control-plane base (templates, regions, identity).</summary>
    public const string ControlBaseUrl = "ARKER_CONTROL_BASE_URL";

    /// <summary>With <see cref="Region"/>, the placement the current API's compute base is made from.</summary>
    public const string Provider = "ARKER_PROVIDER";

    /// <summary>With <see cref="Provider"/>, the placement the current API's compute base is made from.</summary>
    public const string Region = "ARKER_REGION";

    /// <summary>Fail rather than skip Arker tests when no Arker can be reached (on by default when <c>CI</c> is set).</summary>
    public const string Require = "ARKER_TESTING_REQUIRE";

    /// <summary>Keep a failed test's VM for inspection.</summary>
    public const string KeepFailed = "ARKER_TESTING_KEEP_FAILED";

    /// <summary>Attach every test's evidence (its VM's transcript and the files it named), not only a failed test's.</summary>
    public const string AttachAlways = "ARKER_TESTING_ATTACH_ALWAYS";

    /// <summary>Forks made ahead of time for each base VM.</summary>
    public const string PoolSize = "ARKER_TESTING_POOL_SIZE";

    /// <summary>The most VMs a run keeps alive at once.</summary>
    public const string MaxVms = "ARKER_TESTING_MAX_VMS";

    /// <summary>Keep provisioned bases after the run and reuse them while their recipe is unchanged.</summary>
    public const string Reuse = "ARKER_TESTING_REUSE";

    /// <summary>Where the records of kept bases live on this machine.</summary>
    public const string ReuseDirectory = "ARKER_TESTING_REUSE_DIR";

    /// <summary>How the run's id begins.</summary>
    public const string RunId = "ARKER_TESTING_RUN_ID";

    /// <summary>The exact run id a test platform chose for its test host.</summary>
    public const string AssignedRunId = "ARKER_TESTING_ASSIGNED_RUN_ID";

    /// <summary>Where the embedded local server keeps its VMs.</summary>
    public const string LocalDataRoot = "ARKER_TESTING_LOCAL_DATA_ROOT";

    /// <summary>The embedded local server's base cache: <c>0</c> turns it off, <c>clear</c> empties it first.</summary>
    public const string LocalCache = "ARKER_TESTING_LOCAL_CACHE";

    /// <summary>The folder of the embedded local server's base cache.</summary>
    public const string LocalCacheDirectory = "ARKER_TESTING_LOCAL_CACHE_DIR";

    /// <summary>What public base names stand for in the embedded local server: <c>name=reference</c> entries separated by <c>;</c> (as its <c>--image</c>).</summary>
    public const string LocalImages = "ARKER_TESTING_LOCAL_IMAGES";

    /// <summary>Accept every snapshot a run produces as the verified one.</summary>
    public const string SnapshotsAccept = "ARKER_SNAPSHOTS_ACCEPT";
}
