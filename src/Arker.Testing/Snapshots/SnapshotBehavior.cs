namespace Arker.Testing.Snapshots;

/// <summary>What a snapshot that does not match its verified file does.</summary>
public enum SnapshotBehavior
{
    /// <summary>Write <c>.received</c> beside the verified file for review, and fail (the default on a developer's machine).</summary>
    Review,

    /// <summary>Write nothing and fail with the diff (the default when <c>CI=true</c>).</summary>
    FailOnly,

    /// <summary>Write the received text as the verified file and pass (<c>ARKER_SNAPSHOTS_ACCEPT=1</c>).</summary>
    Accept,
}
