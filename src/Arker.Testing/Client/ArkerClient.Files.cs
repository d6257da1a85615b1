using System.Buffers;
using Arker.Testing.Client.Wire;

namespace Arker.Testing.Client;

public sealed partial class ArkerClient
{
    /// <summary>Files up to this size travel inline (base64 in JSON); larger ones through a presigned URL.</summary>
    internal const int InlineWriteLimit = 4 * 1024 * 1024;

    /// <summary>Chunks of one file on the wire at once: two keep both ends busy; more only hold more memory.</summary>
    private const int ChunksInFlight = 2;

    internal async Task WriteAsync(string vmId, string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (Protocol == ArkerProtocol.Current)
        {
            await WriteChunkedAsync(vmId, path, content.Length, (chunk, start, _) =>
            {
                content.Slice((int)start, chunk.Length).CopyTo(chunk);
                return ValueTask.CompletedTask;
            }, cancellationToken);
            return;
        }

        if (content.Length <= InlineWriteLimit)
        {
            await WriteInlineAsync(vmId, path, content, cancellationToken);
            return;
        }

        await WritePresignedAsync(vmId, path, content.Length, () => new ReadOnlyMemoryContent(content), cancellationToken);
    }

    /// <summary>Writes <paramref name="length"/> bytes of <paramref name="source"/> from its position.</summary>
    internal async Task WriteAsync(string vmId, string path, Stream source, long length, CancellationToken cancellationToken)
    {
        if (Protocol == ArkerProtocol.Current)
        {
            await WriteChunkedAsync(vmId, path, length, (chunk, _, token) => source.ReadExactlyAsync(chunk, token), cancellationToken);
            return;
        }

        if (length <= InlineWriteLimit)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                await source.ReadExactlyAsync(buffer.AsMemory(0, (int)length), cancellationToken);
                await WriteInlineAsync(vmId, path, buffer.AsMemory(0, (int)length), cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return;
        }

        long start = source.Position;
        int attempts = 0;
        await WritePresignedAsync(vmId, path, length, () =>
        {
            if (attempts++ > 0)
            {
                source.Position = start; // a retry sends the same bytes again
            }

            return new StreamSliceContent(source, length);
        }, cancellationToken);
    }

    internal async Task<byte[]> ReadAsync(string vmId, string path, CancellationToken cancellationToken)
    {
        ReadResponse read = await RequestReadAsync(vmId, path, cancellationToken);
        if (read.Content is not null)
        {
            return Decode(read.Content, read.Encoding);
        }

        var buffer = new MemoryStream((int)Math.Min(read.Size, int.MaxValue));
        await DownloadAsync(read, buffer, cancellationToken);
        return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
    }

    internal async Task ReadAsync(string vmId, string path, Stream destination, CancellationToken cancellationToken)
    {
        ReadResponse read = await RequestReadAsync(vmId, path, cancellationToken);
        if (read.Content is not null)
        {
            await destination.WriteAsync(Decode(read.Content, read.Encoding), cancellationToken);
            return;
        }

        await DownloadAsync(read, destination, cancellationToken);
    }

    private async Task WriteInlineAsync(string vmId, string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var entry = new WriteEntry(path, content.Length, VmIds.NewUlid(_time.GetUtcNow()), 0, content.Length, content);
        WriteResult result = await SendWriteEntryAsync(vmId, entry, cancellationToken);
        if (!(result.Complete && result.Written))
        {
            throw new ArkerException("internal", $"write of {path} returned without complete and written", 200);
        }
    }

    /// <summary>
    /// The current API's write: chunks of at most 4 MiB sharing one <c>upload_id</c>, read from the
    /// source in order by <paramref name="fill"/>, at most <see cref="ChunksInFlight"/> on the wire at
    /// once (so the source's next chunk is read and encoded while the server stores the last; never
    /// the whole file in memory). The server publishes the file when its last byte arrives, whichever
    /// chunk brings it. A chunk sent again is harmless, so retries are safe.
    /// </summary>
    private async Task WriteChunkedAsync(string vmId, string path, long size, Func<Memory<byte>, long, CancellationToken, ValueTask> fill, CancellationToken cancellationToken)
    {
        string uploadId = VmIds.NewUlid(_time.GetUtcNow());
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sending = new List<Task<WriteResult>>(ChunksInFlight);
        bool published = false;
        try
        {
            long start = 0;
            do
            {
                int count = (int)Math.Min(InlineWriteLimit, size - start);
                byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(count, 1));
                try
                {
                    await fill(buffer.AsMemory(0, count), start, failed.Token);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                sending.Add(SendChunkAsync(vmId, new WriteEntry(path, size, uploadId, start, start + count, buffer.AsMemory(0, count)), buffer, failed));
                start += count;
                if (sending.Count == ChunksInFlight || start == size)
                {
                    Task<WriteResult> sent = await Task.WhenAny(sending);
                    sending.Remove(sent);
                    published |= (await sent) is { Complete: true, Written: true };
                }
            }
            while (start < size);

            foreach (Task<WriteResult> rest in sending)
            {
                published |= (await rest) is { Complete: true, Written: true };
            }
        }
        finally
        {
            failed.Cancel();
            await ((Task)Task.WhenAll(sending)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (!published)
        {
            throw new ArkerException("internal", $"every chunk of {path} was accepted, but the file was not reported complete and written", 200);
        }
    }

    /// <summary>Sends one chunk and returns its buffer to the pool; a failure cancels the chunks beside it.</summary>
    private async Task<WriteResult> SendChunkAsync(string vmId, WriteEntry chunk, byte[] buffer, CancellationTokenSource failed)
    {
        try
        {
            return await SendWriteEntryAsync(vmId, chunk, failed.Token);
        }
        catch
        {
            await failed.CancelAsync();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The three steps: ask for an upload URL, PUT the bytes to it, commit.</summary>
    private async Task WritePresignedAsync(string vmId, string path, long size, Func<HttpContent> content, CancellationToken cancellationToken)
    {
        WriteResult started = await SendWriteEntryAsync(vmId, new WriteEntry(path, size, Presigned: true), cancellationToken);
        if (started.PresignedUrl is not { } url || started.UploadId is not { } uploadId)
        {
            throw new ArkerException("internal", "presigned write response missing presigned_url or upload_id", 200);
        }

        using (HttpResponseMessage _ = await SendPresignedAsync(HttpMethod.Put, url, content, cancellationToken))
        {
        }

        WriteResult committed = await SendWriteEntryAsync(vmId, new WriteEntry(path, size, uploadId), cancellationToken);
        if (!(committed.Complete && committed.Written))
        {
            throw new ArkerException("internal", $"commit of {path} returned without complete and written", 200);
        }
    }

    /// <summary>Sends one write entry, retrying per-entry transient errors (they come inside a 200).</summary>
    private async Task<WriteResult> SendWriteEntryAsync(string vmId, WriteEntry entry, CancellationToken cancellationToken)
    {
        using var body = new PooledBufferWriter(((entry.Content?.Length ?? 0) / 3 * 4) + 1024);
        using (var json = new System.Text.Json.Utf8JsonWriter(body))
        {
            System.Text.Json.JsonSerializer.Serialize(json, new WriteRequest([entry]), ArkerJsonContext.Default.WriteRequest);
        }

        return await RetryAsync<WriteResult>(replaySafe: true, async _ =>
        {
            WriteResponse response = await SendAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/sync"), body.WrittenMemory, ArkerJsonContext.Default.WriteResponse, Options.RequestTimeout, cancellationToken);
            WriteResult result = response.Results is [var first, ..] ? first : throw new ArkerException("internal", "write response has no results", 200);
            return result.Error is { } error
                ? new Attempt<WriteResult>(null, FromEnvelope(error, ArkerException.StatusOf(error.Code ?? "internal", otherwise: 500), "", retryAfter: null)) // the entry's own status, not the batch's 200
                : new Attempt<WriteResult>(result, null);
        }, cancellationToken);
    }

    internal async Task<DirectoryManifest> ManifestAsync(string vmId, string directory, CancellationToken cancellationToken)
    {
        if (Protocol != ArkerProtocol.Current)
        {
            throw new NotSupportedException($"a directory manifest needs the current Arker API; this client speaks {Protocol} (set ArkerClientOptions.Protocol to Current, or read the files instead)");
        }

        ManifestResponse manifest = await SendJsonAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/sync"), new ManifestRequest(directory), ArkerJsonContext.Default.ManifestRequest, ArkerJsonContext.Default.ManifestResponse, cancellationToken);
        ManifestFile[] files = [.. (manifest.Entries ?? []).Select(e => new ManifestFile(e.Path ?? "", e.Size, e.Mode, e.Hash ?? ""))];
        return new DirectoryManifest(manifest.Root ?? directory, files, manifest.Truncated);
    }

    private Task<ReadResponse> RequestReadAsync(string vmId, string path, CancellationToken cancellationToken) =>
        SendJsonAsync(HttpMethod.Post, HostFor(vmId), VmRoute(vmId, "/sync"), new ReadRequest(path), ArkerJsonContext.Default.ReadRequest, ArkerJsonContext.Default.ReadResponse, cancellationToken);

    private async Task DownloadAsync(ReadResponse read, Stream destination, CancellationToken cancellationToken)
    {
        if (read.PresignedUrl is not { } url)
        {
            throw new ArkerException("internal", "read response missing content and presigned_url", 200);
        }

        using HttpResponseMessage response = await SendPresignedAsync(HttpMethod.Get, url, () => null, cancellationToken);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(destination, 128 * 1024, cancellationToken);
    }
}
