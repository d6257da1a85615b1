using System.Text.RegularExpressions;
using Arker.Testing.Local.Cache;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// A local extension beside the contract: the base cache, which keeps provisioned bases across
/// server runs (see <see cref="BaseCache"/>). <c>POST …/vms/{id}/cache {"name", "recipe_hash",
/// "inputs"}</c> stores a VM as a base, which is then forked by its name (in this run and later
/// ones), with <c>inputs</c> (optional, the client's record of what provisioning read from its
/// machine, up to 1 MiB) kept beside it; <c>GET /v1/cache</c> lists what this server offers.
/// </summary>
internal sealed partial class CacheRoutes(VmService vms)
{
    private const int MaxInputsLength = 1024 * 1024;
    private const long MaxJsonBodyBytes = MaxInputsLength + (16 * 1024);

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapPost("/v1/vms/{id}/cache", StoreAsync).WithName("cacheBase");
        api.MapGet("/v1/cache", List).WithName("listCachedBases");
    }

    private async Task StoreAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown("name", "recipe_hash", "inputs");
        string name = body.String("name", required: true)!;
        string recipeHash = body.String("recipe_hash", required: true)!;
        string? inputs = body.String("inputs");
        if (inputs?.Length > MaxInputsLength)
        {
            throw ContractException.BadRequest($"'inputs' must be at most {MaxInputsLength} characters (got {inputs.Length})", "inputs");
        }
        if (!SafeName().IsMatch(name))
        {
            throw ContractException.BadRequest($"'name' must be 1-100 letters, digits, '.', '_' or '-' (got '{name}')", "name");
        }

        if (!SafeName().IsMatch(recipeHash))
        {
            throw ContractException.BadRequest($"'recipe_hash' must be 1-100 letters, digits, '.', '_' or '-' (got '{recipeHash}')", "recipe_hash");
        }

        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        CachedBase cached = await vms.StoreInCacheAsync(vm, name, recipeHash, inputs);
        await ApiResponses.WriteAsync(context, View(cached), CurrentJsonContext.Default.CachedBaseBody);
    }

    private Task List(HttpContext context) =>
        ApiResponses.WriteAsync(context, new CachedBaseListBody([.. vms.CachedEntries.Select(View)]), CurrentJsonContext.Default.CachedBaseListBody);

    private static CachedBaseBody View(CachedBase cached) =>
        new(cached.Name, cached.RecipeHash, cached.SizeBytes, cached.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture), cached.Inputs);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex SafeName();
}
