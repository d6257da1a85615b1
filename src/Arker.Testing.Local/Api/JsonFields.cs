using System.Buffers;
using System.Text.Json;

namespace Arker.Testing.Local.Api;

/// <summary>
/// Reads the fields of a JSON object with the contract's validation: a missing required field or a
/// field of the wrong type is a <c>bad_request</c> whose message names the field.
/// </summary>
internal readonly struct JsonFields
{
    private readonly JsonElement _object;
    private readonly string _prefix;

    public JsonFields(JsonElement element, string prefix = "")
    {
        _object = element;
        _prefix = prefix;
    }

    /// <summary>
    /// Reads a request body that must be one JSON object. A body of known length (a 4 MiB chunk is
    /// 5.6 MB of JSON) is read once into a pooled buffer of that size and parsed in place.
    /// </summary>
    public static async Task<JsonFields> ReadBodyAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength > maxBytes)
        {
            throw ApiFailure.TooLarge($"request body is larger than {maxBytes} bytes; send files above 4 MiB through presigned uploads");
        }

        CancellationToken aborted = request.HttpContext.RequestAborted;
        JsonDocument document;
        try
        {
            document = request.ContentLength is long length and > 0
                ? await ParsePooledAsync(request, (int)length, aborted)
                : await JsonDocument.ParseAsync(request.Body, default, aborted);
        }
        catch (JsonException ex)
        {
            throw ApiFailure.BadRequest($"request body is not valid JSON: {ex.Message}");
        }

        request.HttpContext.Response.RegisterForDispose(document);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw ApiFailure.BadRequest($"request body must be a JSON object (got {Describe(document.RootElement.ValueKind)})");
        }

        return new JsonFields(document.RootElement);
    }

    private static async Task<JsonDocument> ParsePooledAsync(HttpRequest request, int length, CancellationToken aborted)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        bool parsed = false;
        try
        {
            int read = await request.Body.ReadAtLeastAsync(buffer.AsMemory(0, length), length, throwOnEndOfStream: false, aborted);
            JsonDocument document = JsonDocument.Parse(buffer.AsMemory(0, read));
            request.HttpContext.Response.RegisterForDispose(new PooledBuffer(buffer));
            parsed = true;
            return document;
        }
        finally
        {
            if (!parsed)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>The object's JSON text, as sent (for an idempotency key's fingerprint).</summary>
    public string RawText => _object.GetRawText();

    /// <summary>Refuses a field the contract does not define (its objects allow no others).</summary>
    public void RejectUnknown(params string[] known)
    {
        foreach (JsonProperty property in _object.EnumerateObject())
        {
            if (!known.Contains(property.Name, StringComparer.Ordinal))
            {
                throw ApiFailure.BadRequest($"field '{_prefix}{property.Name}' is not part of this request; the fields are: {string.Join(", ", known)}");
            }
        }
    }

    /// <summary>An array of strings, or null when absent.</summary>
    public IReadOnlyList<string>? Strings(string name)
    {
        JsonElement? value = Find(name, required: false);
        if (value is not { } array)
        {
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, "an array of strings", array);
        }

        string prefix = _prefix;
        return [.. array.EnumerateArray().Select((item, i) => item.ValueKind == JsonValueKind.String
            ? Text(prefix, $"{name}[{i}]", item)
            : throw ApiFailure.BadRequest($"field '{prefix}{name}[{i}]' must be a string (got {Describe(item.ValueKind)})"))];
    }

    /// <summary>An object of string values (an environment), or null when absent.</summary>
    public IReadOnlyDictionary<string, string>? StringMap(string name)
    {
        JsonElement? value = Find(name, required: false);
        if (value is not { } map)
        {
            return null;
        }

        if (map.ValueKind != JsonValueKind.Object)
        {
            throw WrongType(name, "an object of strings", map);
        }

        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in map.EnumerateObject())
        {
            result[entry.Name] = entry.Value.ValueKind == JsonValueKind.String
                ? Text(_prefix, $"{name}.{entry.Name}", entry.Value)
                : throw ApiFailure.BadRequest($"field '{_prefix}{name}.{entry.Name}' must be a string (got {Describe(entry.Value.ValueKind)})");
        }

        return result;
    }

    /// <summary>Whether the field is present and not JSON null.</summary>
    public bool Has(string name) => _object.TryGetProperty(name, out JsonElement value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string name, bool required = false)
    {
        string prefix = _prefix;
        return Read(name, required, JsonValueKind.String, "a string", e => Text(prefix, name, e));
    }

    /// <summary>A base64 string's bytes, decoded straight from the request's UTF-8; null when absent.</summary>
    public byte[]? Base64(string name)
    {
        JsonElement? value = Find(name, required: false);
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return element.ValueKind != JsonValueKind.String ? throw WrongType(name, "a base64 string", element)
            : element.TryGetBytesFromBase64(out byte[]? bytes) ? bytes
            : throw ApiFailure.BadRequest($"field '{_prefix}{name}' is not valid base64");
    }

    public bool Boolean(string name, bool defaultValue)
    {
        if (!_object.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return defaultValue;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw WrongType(name, "a boolean", value),
        };
    }

    public long? Integer(string name, bool required = false)
    {
        JsonElement? value = Find(name, required);
        if (value is not { } element)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw WrongType(name, "an integer", element);
        }

        return element.TryGetInt64(out long n) ? n : throw ApiFailure.BadRequest($"field '{_prefix}{name}' must be an integer (got {element.GetRawText()})");
    }

    /// <summary>A JSON string's text; a string that is not valid UTF-8 is a <c>bad_request</c> naming the field.</summary>
    private static string Text(string prefix, string name, JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ApiFailure.BadRequest($"field '{prefix}{name}' is not valid UTF-8");
        }
    }

    public double? Number(string name)
    {
        JsonElement? value = Find(name, required: false);
        return value is not { } element ? null
            : element.ValueKind == JsonValueKind.Number ? element.GetDouble()
            : throw WrongType(name, "a number", element);
    }

    /// <summary>A field that may be a string or an integer (the contract's <c>session_id</c>).</summary>
    public string? StringOrInteger(string name)
    {
        if (!_object.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => Text(_prefix, name, value),
            JsonValueKind.Number when value.TryGetInt64(out long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => throw WrongType(name, "a string or an integer", value),
        };
    }

    public IReadOnlyList<JsonFields> Objects(string name)
    {
        if (!_object.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            throw ApiFailure.BadRequest($"field '{_prefix}{name}' is required");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(name, "an array", value);
        }

        var items = new List<JsonFields>();
        int index = 0;
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw ApiFailure.BadRequest($"field '{_prefix}{name}[{index}]' must be an object (got {Describe(item.ValueKind)})");
            }

            items.Add(new JsonFields(item, $"{_prefix}{name}[{index}]."));
            index++;
        }

        return items;
    }

    private string? Read(string name, bool required, JsonValueKind kind, string expected, Func<JsonElement, string?> convert)
    {
        JsonElement? value = Find(name, required);
        return value is not { } element ? null : element.ValueKind == kind ? convert(element) : throw WrongType(name, expected, element);
    }

    private JsonElement? Find(string name, bool required)
    {
        if (!_object.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return required ? throw ApiFailure.BadRequest($"field '{_prefix}{name}' is required") : null;
        }

        return value;
    }

    private ApiFailure WrongType(string name, string expected, JsonElement value) =>
        ApiFailure.BadRequest($"field '{_prefix}{name}' must be {expected} (got {Describe(value.ValueKind)})");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}

/// <summary>Returns a request body's buffer to the pool once the response is done with its document.</summary>
internal sealed class PooledBuffer(byte[] buffer) : IDisposable
{
    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}
