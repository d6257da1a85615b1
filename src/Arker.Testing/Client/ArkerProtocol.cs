namespace Arker.Testing.Client;

/// <summary>The generation of the Arker API a client speaks.</summary>
public enum ArkerProtocol
{
    /// <summary>
    /// The current Arker API (routes under <c>/v1</c> below a base ending in <c>/api</c>, the
    /// <c>{"error": {...}}</c> envelope, idempotency keys, pollable runs): what the service and its
    /// 1.x SDKs speak. The default.
    /// </summary>
    Current,

    /// <summary>The Arker API 0.1 (routes under <c>/api/v1</c> below an origin): what the 0.1 SDKs speak.</summary>
    V01,
}
