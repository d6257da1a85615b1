namespace Arker.Testing.Local.Api;

internal static class HttpContextExtensions
{
    private const string OrganisationKey = "arker.organisation";

    public static void SetOrganisation(this HttpContext context, string organisation) => context.Items[OrganisationKey] = organisation;

    /// <summary>The caller's organisation, set by authentication.</summary>
    public static string Organisation(this HttpContext context) => (string)context.Items[OrganisationKey]!;

    /// <summary>The scheme and host the client used, for absolute presigned URLs.</summary>
    public static string Origin(this HttpRequest request) => $"{request.Scheme}://{request.Host}";
}
