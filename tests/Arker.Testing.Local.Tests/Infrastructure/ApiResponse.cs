namespace Arker.Testing.Local.Tests.Infrastructure;

/// <summary>A response of the local server: its status and JSON body.</summary>
public readonly record struct ApiResponse(int Status, JsonElement Body, string RawBody)
{
    public string? ErrorCode => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetProperty("code").GetString() : null;

    public string? ErrorMessage => Body.ValueKind == JsonValueKind.Object && Body.TryGetProperty("error", out var e) ? e.GetProperty("message").GetString() : null;

    public string Field(string name) => Body.GetProperty(name).GetString()!;

    /// <summary>Asserts HTTP 200 and returns the body.</summary>
    public JsonElement Ok()
    {
        Assert.True(Status == 200, $"expected 200, got {Status}: {RawBody}");
        return Body;
    }

    /// <summary>Asserts the current API's error envelope (<c>error</c> its single key) with this status and code.</summary>
    public ApiResponse CurrentError(int status, string code)
    {
        Assert.True(Status == status && ErrorCode == code, $"expected {status} {code}, got {Status}: {RawBody}");
        Assert.Equal(["error"], Body.EnumerateObject().Select(p => p.Name));
        Assert.False(string.IsNullOrWhiteSpace(ErrorMessage));
        return this;
    }

    /// <summary>Asserts the 0.1 error envelope (<c>"ok": false</c>) with this status and code.</summary>
    public ApiResponse Error(int status, string code)
    {
        Assert.True(Status == status && ErrorCode == code, $"expected {status} {code}, got {Status}: {RawBody}");
        Assert.False(Body.GetProperty("ok").GetBoolean());
        Assert.False(string.IsNullOrWhiteSpace(ErrorMessage));
        return this;
    }
}
