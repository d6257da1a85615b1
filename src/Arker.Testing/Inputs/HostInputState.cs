using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Arker.Testing.Inputs;

/// <summary>
/// A set of host inputs as they were at one moment: each with a digest of every file it holds
/// (mode and content) or of a variable's value. Kept with a base when it is stored, read again
/// before the base is reused; the differences say why a base is provisioned again.
/// </summary>
internal sealed class HostInputState
{
    private const int Format = 1;

    private HostInputState(IReadOnlyList<InputState> inputs) => Inputs = inputs;

    /// <summary>Each input, with its digests: by relative path below a folder, <c>""</c> for a file or variable; none when missing or unset.</summary>
    public IReadOnlyList<InputState> Inputs { get; }

    /// <summary>A short digest of the whole state, for names: two states with the same digest read the same.</summary>
    public string Digest
    {
        get
        {
            var canonical = new StringBuilder();
            foreach (InputState input in Inputs.OrderBy(i => i.Input.Kind).ThenBy(i => i.Input.Location, StringComparer.Ordinal))
            {
                canonical.Append(CultureInfo.InvariantCulture, $"{input.Input.Kind}\0{input.Input.Location}\0{string.Join('/', input.Input.ExcludedDirectories)}\n");
                foreach ((string key, string value) in input.Digests.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    canonical.Append(CultureInfo.InvariantCulture, $"{key}\0{value}\n");
                }
            }

            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))[..12];
        }
    }

    /// <summary>Reads <paramref name="inputs"/> as they are now.</summary>
    public static HostInputState Read(IEnumerable<HostInput> inputs) => Of(inputs.Distinct().Select(ReadOne));

    /// <summary>One input as it is now.</summary>
    public static InputState ReadOne(HostInput input) => new(input, DigestsOf(input));

    /// <summary>Inputs read at different moments, as one state (an input read twice counts as first read).</summary>
    public static HostInputState Of(IEnumerable<InputState> inputs) => new([.. inputs.DistinctBy(i => i.Input)]);

    /// <summary>The same inputs, as they are now.</summary>
    public HostInputState ReadAgain() => Read(Inputs.Select(i => i.Input));

    /// <summary>What changed since <paramref name="earlier"/>, one short sentence each (<c>testdata/tool.py changed</c>); empty when nothing did.</summary>
    public IReadOnlyList<string> ChangesSince(HostInputState earlier)
    {
        var changes = new List<string>();
        foreach (InputState then in earlier.Inputs)
        {
            IReadOnlyDictionary<string, string> now = Inputs.FirstOrDefault(i => i.Input.Equals(then.Input))?.Digests ?? new Dictionary<string, string>();
            string name = then.Input.ToString();
            if (then.Input.Kind == HostInputKind.Directory)
            {
                foreach (string file in then.Digests.Keys.Union(now.Keys).Order(StringComparer.Ordinal))
                {
                    string path = HostInputDisplay.Path(Path.Combine(then.Input.Location, file));
                    if (Change(then.Digests.GetValueOrDefault(file), now.GetValueOrDefault(file), path, "added", "removed") is { } change)
                    {
                        changes.Add(change);
                    }
                }
            }
            else if (then.Input.Kind == HostInputKind.EnvironmentVariable)
            {
                if (Change(then.Digests.GetValueOrDefault(""), now.GetValueOrDefault(""), name, "is set now", "is unset now") is { } change)
                {
                    changes.Add(change);
                }
            }
            else if (Change(then.Digests.GetValueOrDefault(""), now.GetValueOrDefault(""), name, "appeared", "is gone") is { } change)
            {
                changes.Add(change);
            }
        }

        return changes;
    }

    /// <summary>The state as JSON, to keep with a base (digests only: never a file's content or a variable's value).</summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("format", Format);
            json.WriteStartArray("inputs");
            foreach (InputState input in Inputs)
            {
                json.WriteStartObject();
                json.WriteString("kind", input.Input.Kind.ToString());
                json.WriteString("location", input.Input.Location);
                json.WriteStartArray("excluded");
                foreach (string excluded in input.Input.ExcludedDirectories)
                {
                    json.WriteStringValue(excluded);
                }

                json.WriteEndArray();
                json.WriteStartObject("digests");
                foreach ((string key, string value) in input.Digests.OrderBy(d => d.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>A state kept as <see cref="ToJson"/> wrote it; null when it is not one (another format, or damaged).</summary>
    public static HostInputState? Parse(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.GetProperty("format").GetInt32() != Format)
            {
                return null;
            }

            var inputs = new List<InputState>();
            foreach (JsonElement item in root.GetProperty("inputs").EnumerateArray())
            {
                string location = item.GetProperty("location").GetString()!;
                HostInput input = Enum.Parse<HostInputKind>(item.GetProperty("kind").GetString()!) switch
                {
                    HostInputKind.File => HostInput.File(location),
                    HostInputKind.Directory => HostInput.Directory(location, item.GetProperty("excluded").EnumerateArray().Select(e => e.GetString()!)),
                    _ => HostInput.EnvironmentVariable(location),
                };
                inputs.Add(new InputState(input, item.GetProperty("digests").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal)));
            }

            return new HostInputState(inputs);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    private static string? Change(string? then, string? now, string name, string appeared, string gone) =>
        then == now ? null : then is null ? $"{name} {appeared}" : now is null ? $"{name} {gone}" : $"{name} changed";

    private static Dictionary<string, string> DigestsOf(HostInput input)
    {
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (input.Kind)
        {
            case HostInputKind.File when File.Exists(input.Location):
                digests[""] = FileDigest(input.Location);
                break;
            case HostInputKind.Directory when System.IO.Directory.Exists(input.Location):
                AddFiles(input.Location, input.Location, input.ExcludedDirectories, digests);
                break;
            case HostInputKind.EnvironmentVariable when Environment.GetEnvironmentVariable(input.Location) is { } value:
                digests[""] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
                break;
        }

        return digests;
    }

    private static void AddFiles(string root, string folder, IReadOnlyList<string> excluded, Dictionary<string, string> digests)
    {
        foreach (string file in System.IO.Directory.EnumerateFiles(folder))
        {
            digests[Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/')] = FileDigest(file);
        }

        foreach (string child in System.IO.Directory.EnumerateDirectories(folder).Where(child => !excluded.Contains(Path.GetFileName(child))))
        {
            AddFiles(root, child, excluded, digests);
        }
    }

    /// <summary>The file's mode (where there are modes) and the SHA-256 of its content.</summary>
    private static string FileDigest(string path)
    {
        using FileStream content = File.OpenRead(path);
        string hash = Convert.ToHexStringLower(SHA256.HashData(content));
        return OperatingSystem.IsWindows() ? hash : $"{Convert.ToString((int)File.GetUnixFileMode(path), 8)}:{hash}";
    }
}

/// <summary>One input and its digests at a moment.</summary>
internal sealed record InputState(HostInput Input, IReadOnlyDictionary<string, string> Digests);
