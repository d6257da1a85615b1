namespace Arker.Testing.Local.Api;

/// <summary>The two wire generations the server speaks, each at its own base.</summary>
internal enum ApiGeneration
{
    /// <summary>Not an API route (<c>/healthz</c>, presigned transfers).</summary>
    None,

    /// <summary>The Arker API 0.1, below <c>{origin}/arker-0.1</c>.</summary>
    V01,

    /// <summary>The current Arker API (paths <c>/v1/…</c>, the service's 1.x SDKs), below <c>{origin}/api</c>.</summary>
    V1,
}
