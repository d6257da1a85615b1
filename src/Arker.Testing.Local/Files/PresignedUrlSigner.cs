using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Arker.Testing.Local.Files;

/// <summary>
/// Signs presigned URLs with HMAC-SHA256 over the method, VM, subject (upload id or path) and expiry,
/// with a key that lives only as long as this server instance.
/// </summary>
internal sealed class PresignedUrlSigner
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _time;

    public PresignedUrlSigner(TimeProvider time, TimeSpan lifetime)
    {
        _time = time;
        Lifetime = lifetime;
    }

    public TimeSpan Lifetime { get; }

    public int LifetimeSeconds => (int)Lifetime.TotalSeconds;

    /// <summary>The query string (without '?') that authorises <paramref name="method"/> on the subject.</summary>
    public string Sign(string method, string vmId, string subject)
    {
        long expires = _time.GetUtcNow().Add(Lifetime).ToUnixTimeSeconds();
        string signature = Compute(method, vmId, subject, expires);
        return $"vm={Uri.EscapeDataString(vmId)}&expires={expires}&signature={signature}";
    }

    /// <summary>Checks a presented signature; a wrong or expired one is 403 <c>forbidden</c>.</summary>
    public void Verify(string method, string vmId, string subject, string? expiresText, string? signature)
    {
        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out long expires) || signature is null)
        {
            throw LocalArkerException.Forbidden("presigned URL is incomplete (expires and signature are required); request a new one");
        }

        string expected = Compute(method, vmId, subject, expires);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            throw LocalArkerException.Forbidden("presigned URL signature does not match: the URL was altered or was signed by another server; request a new one");
        }

        if (_time.GetUtcNow().ToUnixTimeSeconds() > expires)
        {
            throw LocalArkerException.Forbidden($"presigned URL expired at {DateTimeOffset.FromUnixTimeSeconds(expires):u}; request a new one");
        }
    }

    private string Compute(string method, string vmId, string subject, long expires)
    {
        byte[] message = Encoding.UTF8.GetBytes($"{method}\n{vmId}\n{subject}\n{expires.ToString(CultureInfo.InvariantCulture)}");
        return Convert.ToHexStringLower(HMACSHA256.HashData(_key, message));
    }
}
