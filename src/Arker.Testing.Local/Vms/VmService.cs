using System.Collections.Concurrent;
using Arker.Testing.Local.Sandbox;
using Arker.Testing.Shared;

using Arker.Testing.Local.Sessions;
using Arker.Testing.Local.Storage;

namespace Arker.Testing.Local.Vms;

/// <summary>
/// The VM registry and the contract's ownership rules: a VM of another organisation does not
/// exist for the caller unless it is public; a public VM may be forked by anyone, but only its
/// owner may run, read, write or delete it.
/// </summary>
internal sealed partial class VmService : IAsyncDisposable
{
    public const string BaseVmId = "01KQBYKEV5WJ7YB010603T1DCT_d8c0";
    public const string BaseImageName = "arkuntu";
    public const string RegionName = "local";
    private const string RegionTag = "lcl";
    /// <summary>The organisation that owns the public base images.</summary>
    public const string SystemOrganisation = "ArkerHQ";

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { [BaseImageName] = BaseVmId };

    private readonly ConcurrentDictionary<string, VmRecord> _vms = new(StringComparer.Ordinal);
    private readonly SandboxHost _host;
    private readonly Cache.BaseCache? _cache;
    private readonly TimeProvider _time;
    private long _sequence;
    private readonly Dictionary<string, Cache.CachedBase> _cached = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task<VmRecord>> _imageBases = new(StringComparer.Ordinal);

    private readonly IReadOnlyDictionary<string, string> _images;

    private VmService(SandboxHost host, Cache.BaseCache? cache, TimeProvider time, IReadOnlyDictionary<string, string> images)
    {
        _host = host;
        _cache = cache;
        _time = time;
        _images = images;
    }

    /// <summary>The public base names beside <c>arkuntu</c>, with what each stands for here (see <see cref="LocalArkerServerOptions.Images"/>).</summary>
    public IReadOnlyDictionary<string, string> Images => _images;

    public string Isolation => _host.Isolation;

    /// <summary>What a policy document's readers should know of this server's networks (none when VMs have gateways).</summary>
    public IReadOnlyList<string> NetworkWarnings => _host.NetworkWarnings;

    /// <summary>The registry of a server over <paramref name="host"/>'s sandboxes, offering the bases <paramref name="cache"/> keeps (none when null).</summary>
    public static VmService Start(SandboxHost host, Cache.BaseCache? cache, TimeProvider time, IReadOnlyDictionary<string, string>? images = null)
    {
        var service = new VmService(host, cache, time, images ?? LocalArkerServerOptions.DefaultImages);
        service._vms[BaseVmId] = PublicBase(BaseVmId, BaseImageName, BaseImageName, time.GetUtcNow(), sequence: 0, host.Sandboxes.CreateBase(BaseVmId));
        cache?.Evict(new HashSet<string>()); // what no server used lately, past the cache's size
        foreach (Cache.CachedBase cached in cache?.Load() ?? [])
        {
            if (service.ChangedBaseName(cached) is { } changed)
            {
                host.Sandboxes.Logger.LogInformation("Skipped the cached base {Directory}: {Reason}", cached.Directory, changed);
                continue;
            }

            service._cached[cached.Name] = cached;
        }

        return service;
    }

    /// <summary>
    /// Why <paramref name="cached"/> must not be offered here, or null: a base name that stood for
    /// its root when it was stored stands for something else on this server (a template over
    /// <c>ubuntu-base</c> would now get another machine), so its templates are provisioned again.
    /// </summary>
    private string? ChangedBaseName(Cache.CachedBase cached)
    {
        foreach ((string name, string then) in cached.BaseNames ?? new Dictionary<string, string>())
        {
            string? now = _images.TryGetValue(name, out string? reference) ? StandsFor(reference) : null;
            if (now != then)
            {
                return $"it was made when '{name}' stood for {then}; here it stands for {now ?? "nothing"}";
            }
        }

        return null;
    }

    /// <summary>The base names (see <see cref="Images"/>) that stand for <paramref name="root"/> here, each with it.</summary>
    private Dictionary<string, string> NamesStandingFor(string root) =>
        _images.Where(pair => StandsFor(pair.Value) == root).ToDictionary(pair => pair.Key, _ => root, StringComparer.Ordinal);

    /// <summary>What a VM forked by a base name mapped to <paramref name="value"/> has as its root: <c>arkuntu</c>, or the image's normalized reference.</summary>
    private static string StandsFor(string value) => value == BaseImageName ? value : ContainerImage.Normalize(value);

    /// <summary>
    /// Stores the caller's VM <paramref name="vm"/> in the base cache as <paramref name="name"/> for
    /// <paramref name="recipeHash"/>: frozen (as a fork freezes it), flattened into one layer, written
    /// aside and published. It is offered from now on, and by every later server run, as a public VM
    /// of that name (made on the first fork by that name). If the entry exists already (another run
    /// stored it), that one is kept.
    /// </summary>
    public async Task<Cache.CachedBase> StoreInCacheAsync(VmRecord vm, string name, string recipeHash, string? inputs)
    {
        Cache.BaseCache cache = _cache ?? throw LocalArkerException.Conflict("this server keeps no base cache (it was started with the cache off)", "cache");
        VmSandbox frozen = await vm.Sandbox.ForkAsync("cache of " + vm.Id);
        Cache.CachedBase cached;
        try
        {
            cached = await cache.StoreAsync(
                name, recipeHash, inputs, target => _host.Merger.CopyMergedAsync(frozen.Lowers, target), ownRoot: frozen.HostReadOnlyFolders.Count == 0, rootInside: frozen.RootInside,
                root: vm.BaseImage, baseNames: NamesStandingFor(vm.BaseImage));
        }
        finally
        {
            await frozen.DestroyAsync();
        }

        lock (_cached)
        {
            _cached[name] = cached;
        }

        cache.MarkUsed(cached);
        cache.Evict(CachedBases.Select(v => v.CachedBase!.Directory).ToHashSet(StringComparer.Ordinal));
        return cached;
    }

    /// <summary>The bases in the cache this server can offer, by name.</summary>
    public IReadOnlyList<Cache.CachedBase> CachedEntries
    {
        get
        {
            lock (_cached)
            {
                return [.. _cached.Values.OrderBy(c => c.Name, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>The cached bases offered so far (each a VM, made on the first fork by its name).</summary>
    public IEnumerable<VmRecord> CachedBases => _vms.Values.Where(v => v.CachedBase is not null).OrderBy(v => v.Sequence);

    /// <summary>The VM that offers the cached base <paramref name="name"/>, made now if it is the first fork; null if there is none.</summary>
    private VmRecord? OfferCached(string name)
    {
        lock (_cached)
        {
            if (!_cached.TryGetValue(name, out Cache.CachedBase? cached))
            {
                return null;
            }

            return _vms.Values.FirstOrDefault(v => v.CachedBase?.Directory == cached.Directory) ?? Offer(cached);
        }
    }

    /// <summary>
    /// The public VM made from the container image <paramref name="reference"/> (as skopeo names
    /// it, or a registry reference such as <c>docker.io/library/ubuntu:24.04</c>), made on first use: the image fetched and unpacked once per machine, the VM user's home
    /// added. Forks of it are the caller's. An image that cannot be had is not found, saying why.
    /// </summary>
    public async Task<VmRecord> ImageBaseAsync(string reference, string? baseName = null)
    {
        reference = ContainerImage.Normalize(reference);
        Task<VmRecord> making;
        lock (_imageBases)
        {
            if (!_imageBases.TryGetValue(reference, out making!))
            {
                making = Task.Run(() => MakeImageBase(reference));
                _imageBases[reference] = making;
            }
        }

        try
        {
            return await making;
        }
        catch (SandboxUnavailableException ex)
        {
            lock (_imageBases)
            {
                _imageBases.Remove(reference); // the next fork tries again
            }

            throw LocalArkerException.NotFound(
                baseName is null ? ex.Message : $"'{baseName}' stands for {reference} on this local server. {ex.Message} Or say what '{baseName}' stands for here: --image {baseName}=REFERENCE|DIRECTORY|ARCHIVE|{BaseImageName} (for tests, ARKER_TESTING_LOCAL_IMAGES).",
                "image");
        }
    }

    /// <summary>
    /// The VM a fork by <paramref name="name"/> starts from: a public base name first (one of
    /// <see cref="Images"/>, its image made on first use, or the server's own base), then as
    /// <see cref="FindByName"/> resolves names, as the contract orders them.
    /// </summary>
    public async Task<VmRecord> FindForForkByNameAsync(string organisation, string name)
    {
        if (!_images.TryGetValue(name, out string? reference))
        {
            return FindByName(organisation, name);
        }

        if (reference == BaseImageName)
        {
            return FindForFork(organisation, BaseVmId);
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        VmRecord image = await ImageBaseAsync(reference, name);
        if (Interlocked.Exchange(ref image.AnnouncedAs, 1) == 0)
        {
            _host.Sandboxes.Logger.LogInformation("'{Name}' is the image {Reference} here (ready in {Seconds:0.00} s)", name, image.BaseImage, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        return image;
    }

    /// <summary>A public VM of the system organisation, which any organisation may fork: the base, an image's VM, a cached base.</summary>
    private static VmRecord PublicBase(string id, string name, string baseImage, DateTimeOffset createdAt, long sequence, VmSandbox sandbox, Cache.CachedBase? cached = null) => new()
    {
        Id = id,
        Name = name,
        Organisation = SystemOrganisation,
        IsPublic = true,
        BaseImage = baseImage,
        Region = RegionName,
        CreatedAt = createdAt,
        Sequence = sequence,
        Sandbox = sandbox,
        CachedBase = cached,
    };

    private VmRecord MakeImageBase(string reference)
    {
        DateTimeOffset now = _time.GetUtcNow();
        string id = Ulid.New(now) + "_" + RegionTag;
        VmRecord record = PublicBase(id, reference, reference, now, Interlocked.Increment(ref _sequence), _host.Sandboxes.CreateFromImage(id, reference));
        record.Description = $"made from the image {reference}";
        _vms[id] = record;
        return record;
    }

    private VmRecord Offer(Cache.CachedBase cached)
    {
        string id = Ulid.New(cached.CreatedAt) + "_" + RegionTag;
        // A base kept from an image's VM is a whole root of its own: nothing of this machine bound in, root inside as it had.
        VmSandbox sandbox = _host.Sandboxes.Create(
            id, [new Layer(cached.LayerPath, permanent: true)], [], hostReadOnlyFolders: cached.OwnRoot ? [] : null, rootInside: cached.OwnRoot ? cached.RootInside : null);
        VmRecord record = PublicBase(id, cached.Name, cached.Root ?? BaseImageName, cached.CreatedAt, Interlocked.Increment(ref _sequence), sandbox, cached);
        record.Description = $"cached base (recipe {cached.RecipeHash})";
        _vms[id] = record;
        return record;
    }

    /// <summary>A VM the caller may fork: its own, or any public one.</summary>
    public VmRecord FindForFork(string organisation, string vmId)
    {
        VmRecord vm = Find(vmId);
        return vm.Organisation == organisation || vm.IsPublic ? vm : throw NotFound(vmId);
    }

    /// <summary>A VM the caller may use (run, sync, delete): only its own.</summary>
    public VmRecord FindOwned(string organisation, string vmId)
    {
        VmRecord vm = FindForFork(organisation, vmId);
        return vm.Organisation == organisation
            ? vm
            : throw LocalArkerException.Forbidden($"VM {vm.Id} is a public VM of another organisation: you may fork it, but not run, read, write or delete it");
    }

    /// <summary>A VM the caller may see, by id or name: its own, or any public one.</summary>
    public VmRecord FindVisible(string organisation, string idOrName) => FindByName(organisation, idOrName);

    /// <summary>A VM the caller may use, by id or name.</summary>
    public VmRecord FindOwnedByIdOrName(string organisation, string idOrName) => FindOwned(organisation, FindByName(organisation, idOrName).Id);

    /// <summary>The VMs of <paramref name="owner"/> the caller sees (all of its own; only the public ones of another organisation), newest first.</summary>
    public IEnumerable<VmRecord> ListOwnedBy(string caller, string owner) =>
        _vms.Values.Where(v => v.Organisation == owner && (owner == caller || v.IsPublic)).OrderByDescending(v => v.Sequence);

    /// <summary>Resolves a name for fork-by-name: an alias, the caller's newest VM of that name, or a public VM.</summary>
    public VmRecord FindByName(string organisation, string name)
    {
        if (Aliases.TryGetValue(name, out string? aliased))
        {
            return FindForFork(organisation, aliased);
        }

        if (Ulid.IsVmId(name))
        {
            return FindForFork(organisation, name);
        }

        VmRecord? match = _vms.Values
            .Where(v => v.Name == name && (v.Organisation == organisation || v.IsPublic))
            .OrderByDescending(v => v.Organisation == organisation)
            .ThenByDescending(v => v.CreatedAt)
            .FirstOrDefault();
        return match
            ?? OfferCached(name)
            ?? throw LocalArkerException.NotFound($"no VM or image named '{name}' is visible to your organisation");
    }

    public async Task<VmRecord> ForkAsync(string organisation, VmRecord parent, string? name, bool isPublic, string? description = null, IReadOnlyList<string>? sshPublicKeys = null)
    {
        DateTimeOffset now = _time.GetUtcNow();
        string id = Ulid.New(now) + "_" + RegionTag;
        VmSandbox sandbox = await parent.Sandbox.ForkAsync(id);
        if (parent.CachedBase is { } cached)
        {
            _cache?.MarkUsed(cached);
        }

        var child = new VmRecord
        {
            Id = id,
            Name = name,
            Organisation = organisation,
            IsPublic = isPublic,
            BaseImage = parent.BaseImage,
            Region = RegionName,
            RootSourceId = parent.RootSourceId ?? parent.Id,
            RootSourceName = parent.RootSourceId is null ? parent.Name : parent.RootSourceName,
            Description = string.IsNullOrWhiteSpace(description) ? null : description,
            SshPublicKeys = sshPublicKeys ?? [],
            CreatedAt = now,
            Sequence = Interlocked.Increment(ref _sequence),
            Sandbox = sandbox,
        };
        _vms[id] = child;
        parent.LastActiveAt = now;
        return child;
    }

    /// <summary>Runs <paramref name="command"/> in a session of the caller's VM <paramref name="vmId"/>: the one way into a sandbox.</summary>
    public Task<RunOutcome> RunAsync(string organisation, string vmId, string sessionId, string command, TimeSpan timeout, CancellationToken aborted)
    {
        VmRecord vm = FindOwned(organisation, vmId);
        vm.LastActiveAt = _time.GetUtcNow();
        return vm.Sandbox.RunAsync(sessionId, command, timeout, aborted);
    }

    /// <summary>Starts a run that outlives the request: pollable in <see cref="VmRecord.Runs"/>, cancellable, kept after it ends.</summary>
    public RunRecord StartRun(VmRecord vm, string sessionId, string command, TimeSpan timeout)
    {
        DateTimeOffset now = _time.GetUtcNow();
        var run = new RunRecord { Id = "run_" + Ulid.New(now), VmId = vm.Id, VmName = vm.Name, SessionId = sessionId, Command = command, StartedAt = now };
        run.Start(cancelled => vm.Sandbox.RunAsync(sessionId, command, timeout, cancelled), _time);
        vm.LastActiveAt = now;
        vm.Runs.Add(run);
        return run;
    }

    public async Task DeleteAsync(VmRecord vm)
    {
        if (_vms.TryRemove(vm.Id, out _))
        {
            await vm.Sandbox.DestroyAsync();
        }
        else
        {
            throw NotFound(vm.Id);
        }
    }

    public (IReadOnlyList<VmRecord> Page, int Total) List(string organisation, string? query, string sort, int limit, int offset)
    {
        IEnumerable<VmRecord> matches = _vms.Values.Where(v => v.Organisation == organisation && (query is null || (v.Name?.Contains(query, StringComparison.Ordinal) ?? false)));
        IOrderedEnumerable<VmRecord> ordered = sort switch
        {
            "created_at" => matches.OrderBy(v => v.Sequence),
            "region" => matches.OrderBy(v => v.Region, StringComparer.Ordinal).ThenByDescending(v => v.Sequence),
            "-region" => matches.OrderByDescending(v => v.Region, StringComparer.Ordinal).ThenByDescending(v => v.Sequence),
            _ => matches.OrderByDescending(v => v.Sequence),
        };
        VmRecord[] all = [.. ordered];
        return (all.Skip(offset).Take(limit).ToArray(), all.Length);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (VmRecord vm in _vms.Values)
        {
            _vms.TryRemove(vm.Id, out _);
            try
            {
                await vm.Sandbox.DestroyAsync();
            }
            catch (Exception)
            {
                // Keep going: the host's own clean-up below removes whatever is left.
            }
        }

        await _host.DisposeAsync();
    }

    /// <summary>Whether the VM with this id still exists (is not deleted).</summary>
    public bool Exists(string vmId) => _vms.ContainsKey(vmId);

    /// <summary>A VM by id whoever owns it (a presigned URL already proves the caller's right).</summary>
    public VmRecord FindAny(string vmId) => Find(vmId);

    private VmRecord Find(string vmId)
    {
        string key = Aliases.TryGetValue(vmId, out string? aliased) ? aliased : Ulid.Normalize(vmId);
        return _vms.TryGetValue(key, out VmRecord? vm) ? vm : throw NotFound(vmId);
    }

    private static LocalArkerException NotFound(string vmId) => LocalArkerException.NotFound($"VM not found: {vmId}");
}
