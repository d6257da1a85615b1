namespace Arker.Testing.Local.Api;

/// <summary>Maps bearer API keys to the organisation each belongs to.</summary>
internal sealed class ApiKeyAuthenticator
{
    private readonly Dictionary<string, string> _organisations;

    public ApiKeyAuthenticator(IEnumerable<KeyValuePair<string, string>> keys) =>
        _organisations = new Dictionary<string, string>(keys, StringComparer.Ordinal);

    /// <summary>The caller's organisation; a missing or unknown key is 401 <c>unauthorized</c>.</summary>
    public string Authenticate(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiFailure.Unauthorized("missing API key: send 'authorization: Bearer <key>'");
        }

        string key = header[Scheme.Length..].Trim();
        return _organisations.TryGetValue(key, out string? organisation)
            ? organisation
            : throw ApiFailure.Unauthorized("unknown API key");
    }
}
