using Arker.Testing.Fixtures;

namespace Arker.Testing.Unit.Tests.Core;

/// <summary><c>ARKER_TESTING_LOCAL_IMAGES</c>: what base names stand for in the embedded local server.</summary>
public sealed class LocalImagesSettingTests
{
    [Fact]
    public void Entries_are_name_equals_reference_separated_by_semicolons()
    {
        ArkerTestingSettings settings = With(" ubuntu-base=oci:/images/layout:debian ; ubuntu-full = arkuntu;");

        Assert.Equal(
            new Dictionary<string, string> { ["ubuntu-base"] = "oci:/images/layout:debian", ["ubuntu-full"] = "arkuntu" },
            settings.LocalImages);
    }

    [Fact]
    public void Unset_is_none_and_an_entry_without_a_reference_is_refused_naming_the_variable()
    {
        Assert.Empty(With(null).LocalImages);

        var refused = Assert.Throws<ArgumentException>(() => With("ubuntu-base"));

        Assert.Contains("ARKER_TESTING_LOCAL_IMAGES takes name=value entries separated by ';'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("(got 'ubuntu-base')", refused.Message, StringComparison.Ordinal);
    }

    private static ArkerTestingSettings With(string? images) =>
        ArkerTestingSettings.FromVariables(name => name == ArkerEnvironmentVariables.LocalImages ? images : null);
}
