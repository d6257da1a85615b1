namespace Arker.Testing.Local.Api.V1;

/// <summary>
/// The contract's operations a local machine cannot serve: each answers <c>unsupported_operation</c>
/// with the feature it needs, so a client learns at once what to use instead.
/// </summary>
internal static class UnsupportedRoutes
{
    public static void Map(IEndpointRouteBuilder api)
    {
        Refuse(api, "GET", "/v1/runs", "listOrgRuns", null, "the local Arker server keeps no organisation activity log: list a VM's runs with GET /v1/vms/{id}/runs");
        Refuse(api, "GET", "/v1/vms/{id}/sessions/{sid}/pty", "attachSessionPty", "persistent_pty", NoTerminals);
        Refuse(api, "POST", "/v1/vms/{id}/sessions/{sid}/pty-ticket", "mintSessionPtyTicket", "persistent_pty", NoTerminals);
        Refuse(api, "POST", "/v1/vms/{id}/mounts", "createMount", "shared_filesystem", NoFilesystems);
        Refuse(api, "GET", "/v1/vms/{id}/mounts", "listMounts", "shared_filesystem", NoFilesystems);
        Refuse(api, "DELETE", "/v1/vms/{id}/mounts/{mountId}", "deleteMount", "shared_filesystem", NoFilesystems);
        Refuse(api, "GET", "/v1/filesystems", "listFilesystems", "shared_filesystem", NoFilesystems);
        Refuse(api, "POST", "/v1/filesystems", "createFilesystem", "shared_filesystem", NoFilesystems);
        Refuse(api, "GET", "/v1/filesystems/{filesystemId}", "getFilesystem", "shared_filesystem", NoFilesystems);
        Refuse(api, "DELETE", "/v1/filesystems/{filesystemId}", "deleteFilesystem", "shared_filesystem", NoFilesystems);
    }

    private const string NoTerminals = "the local Arker server has no interactive terminals: run commands with POST /v1/vms/{id}/runs";
    private const string NoFilesystems = "the local Arker server has no shared filesystems: copy files with POST /v1/vms/{id}/sync";

    private static void Refuse(IEndpointRouteBuilder api, string method, string pattern, string operationId, string? feature, string message) =>
        api.MapMethods(pattern, [method], () => Task.FromException(ContractException.Unsupported(message, feature))).WithName(operationId);
}
