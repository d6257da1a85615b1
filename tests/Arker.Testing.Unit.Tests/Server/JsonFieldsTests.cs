using System.Text.Json;
using Arker.Testing.Local.Api;

namespace Arker.Testing.Unit.Tests.Server;

/// <summary>Request fields read strictly: a wrong or missing field is a 400 naming it, in the terms both generations share.</summary>
public sealed class JsonFieldsTests
{
    [Fact]
    public void Fields_are_read_by_type_with_defaults_for_what_is_absent()
    {
        JsonFields body = Fields("""{"name": "a", "size": 12, "flag": true, "tags": ["x", "y"], "env": {"K": "V"}, "data": "aGk="}""");

        Assert.Equal("a", body.String("name", required: true));
        Assert.Equal(12, body.Integer("size"));
        Assert.True(body.Boolean("flag", defaultValue: false));
        Assert.False(body.Boolean("absent", defaultValue: false));
        Assert.Equal(["x", "y"], body.Strings("tags"));
        Assert.Equal("V", body.StringMap("env")!["K"]);
        Assert.Equal("hi"u8.ToArray(), body.Base64("data"));
        Assert.Null(body.String("absent"));
        Assert.False(body.Has("absent"));
    }

    [Theory]
    [InlineData("""{}""", "field 'name' is required")]
    [InlineData("""{"name": 5}""", "field 'name' must be a string (got a number)")]
    public void A_missing_or_mistyped_string_names_the_field(string json, string message) =>
        AssertBadRequest(message, () => Fields(json).String("name", required: true));

    [Fact]
    public void A_mistyped_integer_list_map_or_base64_names_the_field()
    {
        AssertBadRequest("field 'size' must be an integer (got a string)", () => Fields("""{"size": "12"}""").Integer("size"));
        AssertBadRequest("field 'tags[1]' must be a string (got a number)", () => Fields("""{"tags": ["a", 1]}""").Strings("tags"));
        AssertBadRequest("field 'env.K' must be a string", () => Fields("""{"env": {"K": 1}}""").StringMap("env"));
        AssertBadRequest("field 'data' is not valid base64", () => Fields("""{"data": "***"}""").Base64("data"));
    }

    [Fact]
    public void Unknown_fields_are_refused_naming_the_known_ones() =>
        AssertBadRequest("field 'colour' is not part of this request; the fields are: name, size", () => Fields("""{"name": "a", "colour": "red"}""").RejectUnknown("name", "size"));

    [Fact]
    public void Nested_objects_name_their_fields_with_their_path() =>
        AssertBadRequest("field 'writes[0].size' must be an integer", () => Fields("""{"writes": [{"size": "big"}]}""").Objects("writes")[0].Integer("size"));

    private static JsonFields Fields(string json) => new(JsonDocument.Parse(json).RootElement);

    private static void AssertBadRequest(string message, Action read)
    {
        ApiFailure failure = Assert.Throws<ApiFailure>(read);

        Assert.Equal(400, failure.Status);
        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }
}
