using System.Globalization;
using System.Text.Json.Serialization.Metadata;

namespace Arker.Testing.Local.Api;

/// <summary>What both generations write alike: JSON responses, timestamps, command output as text or base64.</summary>
internal static class ApiResponses
{
    public static Task WriteAsync<T>(HttpContext context, T body, JsonTypeInfo<T> typeInfo, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, typeInfo, contentType: "application/json", context.RequestAborted);
    }


    public static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Text if the bytes are valid UTF-8, else base64, with the encoding's name.</summary>
    public static (string Text, string Encoding) EncodeOutput(byte[] bytes)
    {
        try
        {
            return (StrictUtf8.GetString(bytes), "utf-8");
        }
        catch (System.Text.DecoderFallbackException)
        {
            return (Convert.ToBase64String(bytes), "base64");
        }
    }

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
