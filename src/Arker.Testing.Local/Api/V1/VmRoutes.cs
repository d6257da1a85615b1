using System.Globalization;
using System.Text.Json;
using Arker.Testing.Local.Vms;

namespace Arker.Testing.Local.Api.V1;

/// <summary>Health, placement, identity, and the VMs themselves: fork, list, get, patch, delete.</summary>
internal sealed class VmRoutes(VmService vms, IdempotencyKeys idempotency, TimeProvider time)
{
    private const long MaxJsonBodyBytes = 1024 * 1024;
    private const int MaxNameLength = 255;
    private const int MaxDescriptionLength = 255;
    private const int MaxPageSize = 1000;
    private const int DefaultPageSize = 100;

    private static readonly string[] ForkFields =
    [
        "source_vm_id", "source_vm_name", "source_org_id", "source_org_name", "image", "dockerfile", "nestedvirt", "name", "description",
        "public", "ssh_public_keys", "disk", "durable", "platforms", "layers", "queueing_timeout", "policies", "resources", "registry_auth",
    ];

    private static readonly string[] PatchFields = ["description", "resources", "ssh_public_keys", "policies"];

    public void Map(IEndpointRouteBuilder api)
    {
        api.MapGet("/v1/health", Health).WithName("health");
        api.MapGet("/v1/regions", Regions).WithName("listRegions");
        api.MapGet("/v1/whoami", Whoami).WithName("whoami");
        api.MapPost("/v1/fork", ForkAsync).WithName("fork");
        api.MapGet("/v1/vms", List).WithName("listVms");
        api.MapGet("/v1/vms/{id}", Get).WithName("getVm");
        api.MapPatch("/v1/vms/{id}", PatchAsync).WithName("patchVm");
        api.MapDelete("/v1/vms/{id}", DeleteAsync).WithName("deleteVm");
    }

    private Task Health(HttpContext context) =>
        ApiResponses.WriteAsync(context, new HealthBody("ok", ApiResponses.Timestamp(time.GetUtcNow())), CurrentJsonContext.Default.HealthBody);

    private Task Regions(HttpContext context) =>
        ApiResponses.WriteAsync(context, new RegionsBody([new RegionPlacementBody(Views.Provider, VmService.RegionName, $"{context.Request.Origin()}{ApiPipeline.V1Prefix}")]), CurrentJsonContext.Default.RegionsBody);

    private Task Whoami(HttpContext context) =>
        ApiResponses.WriteAsync(context, new WhoamiBody(context.Organisation(), context.Organisation()), CurrentJsonContext.Default.WhoamiBody);

    private async Task ForkAsync(HttpContext context)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown(ForkFields);
        string organisation = context.Organisation();
        VmRecord source = body.Has("image") ? await ImageSourceAsync(body) : await FindSourceAsync(body, organisation);
        string? name = body.String("name");
        if (name is not null && (name.Length is 0 or > MaxNameLength || name.Trim() != name))
        {
            throw ContractException.BadRequest($"field 'name' must be 1 to {MaxNameLength} characters with no leading or trailing space (got {name.Length} characters)", "name");
        }

        string? description = Description(body);
        IReadOnlyList<string>? keys = SshKeys(body);
        RefuseWhatALocalMachineCannotDo(body);
        Network.NetworkPolicy? policy = PolicyDocuments.ReadField(body);

        await idempotency.RespondAsync(context, "fork", body.RawText, async () =>
        {
            VmRecord child = await vms.ForkAsync(organisation, source, name, body.Boolean("public", defaultValue: false), description, keys);
            if (policy is not null)
            {
                VmService.StartWithPolicy(child, policy); // before the new VM first runs; omitted, it keeps its parent's
            }

            return new RecordedResponse(StatusCodes.Status200OK, JsonSerializer.SerializeToUtf8Bytes(Views.Vm(child), CurrentJsonContext.Default.VmBody), child.Id);
        }, declaresIdempotencyConflict: false, beforeRepeat: RefuseADeletedFork);
    }

    /// <summary>A fork repeated after its VM was deleted is a 404: never a second machine, never the old record.</summary>
    private void RefuseADeletedFork(RecordedResponse first, string key)
    {
        if (first.MadeId is { } id && !vms.Exists(id))
        {
            throw ContractException.NotFound($"VM {id}, forked with Idempotency-Key '{key}', has been deleted since: to fork again, send a new key", "vm");
        }
    }

    /// <summary>The contract's sources: an id, or a name in the caller's organisation or ArkerHQ; exactly one.</summary>
    private async Task<VmRecord> FindSourceAsync(JsonFields body, string organisation)
    {
        if (body.Has("dockerfile"))
        {
            throw ContractException.BadRequest("the API does not build Dockerfiles: the Arker SDKs build them (fork(dockerfile=...)); here, fork a VM by id or name", "dockerfile");
        }

        string? id = body.String("source_vm_id");
        string? name = body.String("source_vm_name");
        string? orgName = body.String("source_org_name");
        string? orgId = body.String("source_org_id");
        if ((id is null) == (name is null))
        {
            throw ContractException.BadRequest("give exactly one of 'source_vm_id' and 'source_vm_name'", id is null ? "source_vm_id" : "source_vm_name");
        }

        if (orgName is not null && orgId is not null)
        {
            throw ContractException.BadRequest("give 'source_org_name' or 'source_org_id', not both", "source_org_id");
        }

        string? scope = orgName ?? orgId;
        if (id is not null)
        {
            return scope is null ? vms.FindForFork(organisation, id) : throw ContractException.BadRequest("'source_org_name' and 'source_org_id' go with 'source_vm_name'", "source_org_name");
        }

        if (scope is not null && scope != organisation && scope != VmService.SystemOrganisation)
        {
            throw ContractException.BadRequest($"'source_org_name' may be your organisation ('{organisation}') or '{VmService.SystemOrganisation}' (got '{scope}')", "source_org_name");
        }

        VmRecord source = await vms.FindForForkByNameAsync(organisation, name!);
        return scope is null || source.Organisation == scope
            ? source
            : throw ContractException.NotFound($"no VM named '{name}' in organisation '{scope}'", "vm");
    }

    /// <summary>The contract's <c>image</c> source: the VM the server made from that container image (fetched and unpacked once per machine).</summary>
    private async Task<VmRecord> ImageSourceAsync(JsonFields body)
    {
        if (body.Has("source_vm_id") || body.Has("source_vm_name"))
        {
            throw ContractException.BadRequest("give 'image' or a source VM ('source_vm_id', 'source_vm_name'), not both", "image");
        }

        return await vms.ImageBaseAsync(body.String("image", required: true)!);
    }

    private static void RefuseWhatALocalMachineCannotDo(JsonFields body)
    {
        if (body.Boolean("nestedvirt", defaultValue: false))
        {
            throw ContractException.BadRequest("the local Arker server cannot give a VM nested virtualization", "nestedvirt");
        }

        if (body.Strings("layers") is { } layers && (layers.Count == 0 || !layers.Contains("disk") || layers.Any(l => l is not ("disk" or "memory"))))
        {
            throw ContractException.BadRequest("field 'layers' must include \"disk\", and may also hold \"memory\"", "layers");
        }
    }

    private Task List(HttpContext context)
    {
        IQueryCollection query = context.Request.Query;
        string caller = context.Organisation();
        string owner = Query(query, "org_id") ?? caller;
        bool? isPublic = Query(query, "public") switch
        {
            null => null,
            "true" => true,
            "false" => false,
            string other => throw ContractException.BadRequest($"query parameter 'public' must be true or false (got '{other}')", "public"),
        };
        string? region = Query(query, "region");
        string? provider = Query(query, "provider");
        string? state = Query(query, "state");
        if (state is not (null or "idle" or "running"))
        {
            throw ContractException.BadRequest($"query parameter 'state' must be idle or running (got '{state}')", "state");
        }

        DateTimeOffset? after = Timestamp(query, "created_after");
        DateTimeOffset? before = Timestamp(query, "created_before");
        IEnumerable<VmRecord> matches = vms.ListOwnedBy(caller, owner)
            .Where(v => isPublic is null || v.IsPublic == isPublic)
            .Where(v => region is null || v.Region == region)
            .Where(v => provider is null || provider == Views.Provider)
            .Where(v => Query(query, "platform") is null)
            .Where(v => state is null || (state == "running") == VmService.IsRunning(v))
            .Where(v => after is null || v.CreatedAt >= after)
            .Where(v => before is null || v.CreatedAt < before);
        (VmRecord[] page, string? next) = Page(matches, query);
        return ApiResponses.WriteAsync(context, new VmListBody([.. page.Select(v => Views.Vm(v, listing: true))], next), CurrentJsonContext.Default.VmListBody);
    }

    private Task Get(HttpContext context, string id) =>
        ApiResponses.WriteAsync(context, Views.Vm(vms.FindVisible(context.Organisation(), id)), CurrentJsonContext.Default.VmBody);

    private async Task PatchAsync(HttpContext context, string id)
    {
        JsonFields body = await JsonFields.ReadBodyAsync(context.Request, MaxJsonBodyBytes);
        body.RejectUnknown(PatchFields);
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        if (PolicyDocuments.ReadField(body) is { } policy)
        {
            await VmService.ApplyPolicyAsync(vm, policy);
        }

        using JsonDocument document = JsonDocument.Parse(body.RawText);
        if (document.RootElement.TryGetProperty("description", out _))
        {
            vm.Description = Description(body);
        }

        if (SshKeys(body) is { } keys)
        {
            vm.SshPublicKeys = keys;
        }

        await ApiResponses.WriteAsync(context, Views.Vm(vm), CurrentJsonContext.Default.VmBody);
    }

    private async Task DeleteAsync(HttpContext context, string id)
    {
        VmRecord vm = vms.FindOwnedByIdOrName(context.Organisation(), id);
        await vms.DeleteAsync(vm);
        await ApiResponses.WriteAsync(context, new DeletedBody(Deleted: true), CurrentJsonContext.Default.DeletedBody);
    }

    private static string? Description(JsonFields body)
    {
        string? description = body.String("description");
        return description?.Length > MaxDescriptionLength
            ? throw ContractException.BadRequest($"field 'description' must be at most {MaxDescriptionLength} characters (got {description.Length})", "description")
            : string.IsNullOrWhiteSpace(description) ? null : description;
    }

    /// <summary>authorized_keys lines: a key type, the base64 key, and an optional comment.</summary>
    private static IReadOnlyList<string>? SshKeys(JsonFields body)
    {
        IReadOnlyList<string>? keys = body.Strings("ssh_public_keys");
        foreach (string key in keys ?? [])
        {
            string[] parts = key.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !Convert.TryFromBase64String(parts[1], new byte[parts[1].Length], out _))
            {
                throw ContractException.BadRequest("each of 'ssh_public_keys' must be an authorized_keys entry such as 'ssh-ed25519 AAAA... you@host'", "ssh_public_keys");
            }
        }

        return keys;
    }

    /// <summary>One page by the contract's opaque cursor (here, an offset) and <c>limit</c> (1 to 1000).</summary>
    public static (T[] Page, string? NextCursor) Page<T>(IEnumerable<T> items, IQueryCollection query)
    {
        int limit = DefaultPageSize;
        if (Query(query, "limit") is { } text && !(int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out limit) && limit is >= 1 and <= MaxPageSize))
        {
            throw ContractException.BadRequest($"query parameter 'limit' must be an integer from 1 to {MaxPageSize} (got '{text}')", "limit");
        }

        int offset = 0;
        if (Query(query, "cursor") is { } cursor && !int.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            throw ContractException.BadRequest("query parameter 'cursor' is not a cursor this server gave: pass the 'next_cursor' of the previous page", "cursor");
        }

        T[] page = [.. items.Skip(offset).Take(limit + 1)];
        return page.Length > limit
            ? (page[..limit], (offset + limit).ToString(CultureInfo.InvariantCulture))
            : (page, null);
    }

    public static string? Query(IQueryCollection query, string name) => query.TryGetValue(name, out var values) ? values.ToString() : null;

    public static DateTimeOffset? Timestamp(IQueryCollection query, string name) =>
        Query(query, name) is not { } text ? null
        : DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out DateTimeOffset value) && (text.EndsWith('Z') || text.Contains('+') || text.LastIndexOf('-') > 9)
            ? value
            : throw ContractException.BadRequest($"query parameter '{name}' must be an RFC 3339 time with an explicit offset, such as 2026-05-01T00:00:00Z (got '{text}')", name);
}
