namespace Arker.Testing.Client;

/// <summary>One VM in a list.</summary>
/// <param name="VmId">The VM's id.</param>
/// <param name="Name">Its name, if it has one.</param>
/// <param name="BaseImage">The image it descends from, such as <c>arkuntu</c>.</param>
/// <param name="Region">The region it lives in.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record VmSummary(string VmId, string? Name, string BaseImage, string Region, DateTimeOffset CreatedAt);
