using System.Text.Json;
using System.Text.Json.Serialization;

namespace Arker.Testing.Client.Wire;

/// <summary>Writes a <see cref="SessionId"/> as the JSON number or string it was given as.</summary>
internal sealed class SessionIdConverter : JsonConverter<SessionId>
{
    public override SessionId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Number ? SessionId.FromInt32(reader.GetInt32()) : SessionId.FromString(reader.GetString()!);

    public override void Write(Utf8JsonWriter writer, SessionId value, JsonSerializerOptions options)
    {
        if (value.IsNumber)
        {
            writer.WriteRawValue(value.Value);
        }
        else
        {
            writer.WriteStringValue(value.Value);
        }
    }
}
