using Arker.Testing.Local;
using Arker.Testing.Local.Files;
using Microsoft.Extensions.Time.Testing;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>Presigned URLs: good for their lifetime on the server that signed them, for the method, VM and subject signed.</summary>
public sealed class PresignedUrlSignerTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_url_is_good_until_its_lifetime_has_passed_and_then_expired()
    {
        var signer = new PresignedUrlSigner(_time, TimeSpan.FromMinutes(5));
        Dictionary<string, string> query = Query(signer.Sign("PUT", "vm1", "upload1"));

        _time.Advance(TimeSpan.FromMinutes(5));
        signer.Verify("PUT", "vm1", "upload1", query["expires"], query["signature"]);
        _time.Advance(TimeSpan.FromSeconds(1));
        LocalArkerException expired = Assert.Throws<LocalArkerException>(() => signer.Verify("PUT", "vm1", "upload1", query["expires"], query["signature"]));

        Assert.Equal(LocalArkerError.Forbidden, expired.Error);
        Assert.Contains("expired at 2026-12-01 12:05:00Z; request a new one", expired.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "vm1", "upload1")]
    [InlineData("PUT", "vm2", "upload1")]
    [InlineData("PUT", "vm1", "upload2")]
    public void A_url_is_good_only_for_what_was_signed(string method, string vm, string subject)
    {
        var signer = new PresignedUrlSigner(_time, TimeSpan.FromMinutes(5));
        Dictionary<string, string> query = Query(signer.Sign("PUT", "vm1", "upload1"));

        LocalArkerException refused = Assert.Throws<LocalArkerException>(() => signer.Verify(method, vm, subject, query["expires"], query["signature"]));

        Assert.Contains("signature does not match", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_servers_signature_or_a_missing_part_is_refused()
    {
        var signer = new PresignedUrlSigner(_time, TimeSpan.FromMinutes(5));
        Dictionary<string, string> query = Query(new PresignedUrlSigner(_time, TimeSpan.FromMinutes(5)).Sign("PUT", "vm1", "upload1"));

        Assert.Contains("signature does not match", Assert.Throws<LocalArkerException>(() => signer.Verify("PUT", "vm1", "upload1", query["expires"], query["signature"])).Message, StringComparison.Ordinal);
        Assert.Contains("is incomplete", Assert.Throws<LocalArkerException>(() => signer.Verify("PUT", "vm1", "upload1", null, query["signature"])).Message, StringComparison.Ordinal);
        Assert.Contains("is incomplete", Assert.Throws<LocalArkerException>(() => signer.Verify("PUT", "vm1", "upload1", query["expires"], null)).Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string> Query(string query) =>
        query.Split('&').Select(part => part.Split('=', 2)).ToDictionary(pair => pair[0], pair => Uri.UnescapeDataString(pair[1]));
}
