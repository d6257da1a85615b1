using System.CommandLine;
using System.Globalization;
using Arker.Testing.Local.Cache;
using Arker.Testing.Local.Storage;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Tool;

/// <summary>
/// The <c>arker-local</c> command: parses its options (refusing bad values with a message),
/// serves until SIGINT or SIGTERM, then deletes every VM and cleans up. Exit codes: 0 after a
/// clean stop, 1 for bad options, 3 when this machine cannot run sandboxes.
/// </summary>
internal static class LocalServerCommand
{
    private const long Mebibyte = 1024 * 1024;

    /// <summary>The library's defaults, which the command's options show and start from: one place for each.</summary>
    private static readonly LocalArkerServerOptions Defaults = new();

    /// <summary>Runs the command with <paramref name="args"/>; returns the process exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var urls = new Option<string>("--urls") { Description = "The address to listen on.", DefaultValueFactory = _ => "http://127.0.0.1:8787" };
        var apiKeys = new Option<string[]>("--api-key")
        {
            Description = "An API key to accept, as KEY or KEY=ORGANISATION (repeatable). Default: one generated key, printed at start.",
            AllowMultipleArgumentsPerToken = false,
        };
        var dataRoot = new Option<string?>("--data-root") { Description = "Where VM layers and uploads live. Default: $TMPDIR/arker-local as root; without root /dev/shm/arker-local-<uid> (memory storage on a tmpfs), else $TMPDIR/arker-local-<uid>." };
        var rootfs = new Option<string?>("--rootfs") { Description = "A root filesystem to use as the base image instead of the host's /usr: a directory, or a tar archive of one (such as mmdebstrap makes), unpacked once per machine." };
        var storage = new Option<VmStorage>("--storage") { Description = "Where VM files live: Memory (a tmpfs, forks in about 1 ms) or Disk (the data root, for large data).", DefaultValueFactory = _ => Defaults.Storage };
        var memory = new Option<int>("--memory-limit") { Description = "Memory limit of one VM, in MiB.", DefaultValueFactory = _ => (int)(Defaults.MemoryLimitBytes / Mebibyte) };
        var processes = new Option<int>("--process-limit") { Description = "Process and thread limit of one VM.", DefaultValueFactory = _ => Defaults.ProcessLimit };
        var runTimeout = new Option<int>("--run-timeout") { Description = "Time limit, in seconds, of a run that gives none.", DefaultValueFactory = _ => (int)Defaults.DefaultRunTimeout.TotalSeconds };
        var shareNetwork = new Option<bool>("--share-network") { Description = "Escape hatch: give VMs the host's network, with no isolation at all (off: each VM has a network of its own, out through the server by its policy)." };
        var network = new Option<NetworkAccess>("--network") { Description = "What a VM with an empty network policy may reach: Open (as on the Arker service), Closed, or Off (no gateway at all: loopback only, whatever a policy says). Never this machine, unless a rule names the port.", DefaultValueFactory = _ => Defaults.DefaultNetwork };
        var images = new Option<string[]>("--image") { Description = "name=reference: what a public base name stands for here (repeatable): a container image (docker.io/library/ubuntu:24.04), a root filesystem directory or archive, or arkuntu (this server's own base). Default: ubuntu-base, ubuntu-coding and ubuntu-full are docker.io/library/ubuntu:24.04.", AllowMultipleArgumentsPerToken = false };
        var addHosts = new Option<string[]>("--add-host") { Description = "name=address: a host name the VMs' lookups answer, with its address on this machine's side (repeatable).", AllowMultipleArgumentsPerToken = false };
        var baseCache = new Option<string?>("--base-cache") { Description = "Folder of the base cache, which keeps provisioned bases across runs (default: $XDG_CACHE_HOME/arker-local, else ~/.cache/arker-local)." };
        var noBaseCache = new Option<bool>("--no-base-cache") { Description = "Keep no bases across runs: cached bases are neither offered nor stored." };
        var baseCacheSize = new Option<int>("--base-cache-size") { Description = "Size, in MiB, the base cache is kept under (least recently used bases are evicted).", DefaultValueFactory = _ => (int)(Defaults.BaseCacheMaxBytes / Mebibyte) };
        var faultRate = new Option<double>("--fault-rate") { Description = "Fraction (0-1) of requests that fail on purpose, to test client retries.", DefaultValueFactory = _ => 0 };
        var faultSeed = new Option<int>("--fault-seed") { Description = "Seed of the fault sequence.", DefaultValueFactory = _ => 0 };
        var maxLayers = new Option<int>("--max-layers") { Description = "Layers a VM may stack before they are merged into one.", DefaultValueFactory = _ => Defaults.MaxLayerDepth };
        var verbose = new Option<bool>("--verbose") { Description = "Log debug details as well as one line per request." };

        // Bad values are refused with a message before anything starts.
        urls.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttp)
            {
                result.AddError($"--urls must be an http:// address such as http://127.0.0.1:8787 (got '{value}').");
            }
        });
        faultRate.Validators.Add(result =>
        {
            double value = result.GetValueOrDefault<double>();
            if (value is < 0 or > 1 || double.IsNaN(value))
            {
                result.AddError($"--fault-rate is a fraction from 0 to 1 (got {value.ToString(CultureInfo.InvariantCulture)}).");
            }
        });
        images.Validators.Add(result =>
        {
            foreach (string entry in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (ImageEntry(entry) is null)
                {
                    result.AddError($"--image takes name=reference, such as ubuntu-base=127.0.0.1:5000/ubuntu:24.04 (got '{entry}').");
                }
            }
        });
        addHosts.Validators.Add(result =>
        {
            foreach (string entry in result.GetValueOrDefault<string[]>() ?? [])
            {
                if (HostEntry(entry) is null)
                {
                    result.AddError($"--add-host takes name=address, such as api.test=127.0.0.1 (got '{entry}').");
                }
            }
        });
        foreach ((Option<int> option, int minimum) in new[] { (baseCacheSize, 1), (memory, 16), (processes, 8), (runTimeout, 1), (maxLayers, 2) })
        {
            option.Validators.Add(result =>
            {
                int value = result.GetValueOrDefault<int>();
                if (value < minimum)
                {
                    result.AddError($"{option.Name} must be at least {minimum} (got {value}).");
                }
            });
        }

        var command = new RootCommand("arker-local: the Arker VM API on this Linux machine, with real sandboxes (bubblewrap, overlayfs, cgroups). The current Arker API is at <origin>/api: set ARKER_BASE_URL and ARKER_CONTROL_BASE_URL to it for the current SDKs. Clients of the Arker API 0.1 (the official 0.1 SDKs) take <origin>/arker-0.1 as their base URL and list host.")
        {
            urls, apiKeys, dataRoot, storage, rootfs, memory, processes, runTimeout, shareNetwork, network, images, addHosts, baseCache, noBaseCache, baseCacheSize, faultRate, faultSeed, maxLayers, verbose,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new LocalArkerServerOptions
            {
                Url = new Uri(parse.GetValue(urls)!),
                DataRoot = parse.GetValue(dataRoot),
                Storage = parse.GetValue(storage),
                RootFilesystem = parse.GetValue(rootfs),
                MemoryLimitBytes = parse.GetValue(memory) * Mebibyte,
                ProcessLimit = parse.GetValue(processes),
                DefaultRunTimeout = TimeSpan.FromSeconds(parse.GetValue(runTimeout)),
                ShareHostNetwork = parse.GetValue(shareNetwork),
                DefaultNetwork = parse.GetValue(network),
                BaseCacheDirectory = parse.GetValue(baseCache),
                UseBaseCache = !parse.GetValue(noBaseCache),
                BaseCacheMaxBytes = parse.GetValue(baseCacheSize) * Mebibyte,
                FaultRate = parse.GetValue(faultRate),
                FaultSeed = parse.GetValue(faultSeed),
                MaxLayerDepth = parse.GetValue(maxLayers),
                ConfigureLogging = logging =>
                {
                    logging.AddSimpleConsole(console =>
                    {
                        console.SingleLine = true;
                        console.TimestampFormat = "HH:mm:ss.fff ";
                    });
                    logging.SetMinimumLevel(parse.GetValue(verbose) ? LogLevel.Debug : LogLevel.Information);
                    logging.AddFilter("Microsoft", LogLevel.Warning);
                },
            };
            foreach (string entry in parse.GetValue(images) ?? [])
            {
                (string name, string reference) = ImageEntry(entry)!.Value;
                options.Images[name] = reference;
            }

            foreach (string entry in parse.GetValue(addHosts) ?? [])
            {
                (string name, System.Net.IPAddress address) = HostEntry(entry)!.Value;
                options.HostNames[name] = address;
            }

            foreach (string key in parse.GetValue(apiKeys) ?? [])
            {
                int equals = key.IndexOf('=', StringComparison.Ordinal);
                options.ApiKeys[equals < 0 ? key : key[..equals]] = equals < 0 ? "local" : key[(equals + 1)..];
            }

            LocalArkerServer server;
            try
            {
                server = await LocalArkerServer.StartAsync(options, cancellationToken);
            }
            catch (SandboxUnavailableException ex)
            {
                await Console.Error.WriteLineAsync("arker-local cannot start: " + ex.Message);
                return 3;
            }

            await using (server)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Arker local server on {server.BaseUrl} (API key: {server.ApiKey}; Arker API: {server.ApiBaseUrl}; Arker API 0.1 clients: {server.V01BaseUrl}). Ctrl+C to stop."));
                try
                {
                    await server.WaitForShutdownAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl+C: fall through to clean-up.
                }

                Console.WriteLine("Stopping: deleting VMs and cleaning up.");
            }

            return 0;
        });

        command.Subcommands.Add(CacheCommand());
        command.Subcommands.Add(SnapshotsCommand.Create());
        return await command.Parse(args).InvokeAsync();
    }

    /// <summary>
    /// <c>arker-local cache list|prune</c>: the bases stored in the base cache (which servers offer
    /// again across runs), and removing them all. Neither needs a running server.
    /// </summary>
    private static Command CacheCommand()
    {
        var directory = new Option<string?>("--base-cache") { Description = "Folder of the base cache (default: $XDG_CACHE_HOME/arker-local, else ~/.cache/arker-local)." };
        var list = new Command("list", "List the stored bases, least recently used first.") { directory };
        list.SetAction(parse =>
        {
            var cache = new BaseCache(parse.GetValue(directory) ?? LocalCacheFolder.Default(), "", long.MaxValue, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            IReadOnlyList<CacheEntry> entries = cache.Entries();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{entries.Count} stored base(s) in {cache.Directory}, {entries.Sum(e => e.SizeBytes) / 1048576.0:0.0} MiB"));
            foreach (CacheEntry entry in entries)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {entry.Name}  recipe {entry.RecipeHash}  {entry.SizeBytes / 1048576.0:0.0} MiB  created {entry.CreatedAt:u}  last used {entry.LastUsed:u}"));
            }

            IReadOnlyList<UnpackedRoots.Entry> roots = UnpackedRoots.List(cache.Directory);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{roots.Count} unpacked root filesystem(s) of images and archives, {roots.Sum(r => r.SizeBytes) / 1048576.0:0.0} MiB"));
            foreach (UnpackedRoots.Entry root in roots)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {root.Path}  {root.SizeBytes / 1048576.0:0.0} MiB{(root.InUse ? "  in use by a running server" : "")}"));
            }

            return 0;
        });
        var images = new Option<bool>("--images") { Description = "Also remove the unpacked root filesystems of images and archives that no running server uses, and the fetched images once none of theirs is left: the next start fetches and unpacks again." };
        var prune = new Command("prune", "Remove every stored base: the next runs provision their templates again.") { directory, images };
        prune.SetAction(parse =>
        {
            var cache = new BaseCache(parse.GetValue(directory) ?? LocalCacheFolder.Default(), "", long.MaxValue, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Removed {cache.Clear()} stored base(s) from {cache.Directory}."));
            if (parse.GetValue(images))
            {
                (int roots, long bytes) = UnpackedRoots.Prune(cache.Directory);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Removed {roots} unpacked root filesystem(s) and what no root needs any more, {bytes / 1048576.0:0.0} MiB; roots a running server uses were left."));
            }

            return 0;
        });
        return new Command("cache", "The base cache: provisioned bases kept across runs.") { list, prune };
    }

    /// <summary>An <c>--image</c> entry, name=reference; null if it is not one.</summary>
    private static (string Name, string Reference)? ImageEntry(string entry)
    {
        int equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && equals < entry.Length - 1 ? (entry[..equals].Trim(), entry[(equals + 1)..].Trim()) : null;
    }

    /// <summary>An <c>--add-host</c> entry, name=address; null if it is not one.</summary>
    private static (string Name, System.Net.IPAddress Address)? HostEntry(string entry)
    {
        int equals = entry.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && Uri.CheckHostName(entry[..equals]) == UriHostNameType.Dns && System.Net.IPAddress.TryParse(entry[(equals + 1)..], out System.Net.IPAddress? address)
            ? (entry[..equals], address)
            : null;
    }
}
