using System.Text;

namespace Arker.Testing.Client;

/// <summary>
/// Files of one VM: any absolute path on the current API (<c>/tmp/…</c>, <c>/etc/…</c>; not
/// <c>/proc</c>, <c>/sys</c> or <c>/dev</c>), under <c>/home/user</c> on the Arker API 0.1.
/// Small files travel inline; files above 4 MiB go through
/// presigned URLs, streamed from and to their source without being held in memory whole.
/// A write returns when the file is complete in the VM; a reader never sees half a file.
/// </summary>
public sealed class ComputerSync
{
    private readonly ArkerClient _client;
    private readonly Computer _vm;

    internal ComputerSync(ArkerClient client, Computer vm)
    {
        _client = client;
        _vm = vm;
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/>, creating parent directories.</summary>
    public Task WriteFileAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return _client.WriteAsync(_vm.Id, path, content, cancellationToken);
    }

    /// <inheritdoc cref="WriteFileAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/>
    public Task WriteFileAsync(string path, byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        return WriteFileAsync(path, content.AsMemory(), cancellationToken);
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark).</summary>
    public Task WriteFileAsync(string path, string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return WriteFileAsync(path, Encoding.UTF8.GetBytes(text).AsMemory(), cancellationToken);
    }

    /// <summary>
    /// Writes the rest of <paramref name="content"/>. A stream that cannot seek is first copied to a
    /// temporary file, because the contract needs the size up front and a retry needs the bytes again.
    /// </summary>
    public async Task WriteFileAsync(string path, Stream content, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(content);
        if (content.CanSeek)
        {
            await _client.WriteAsync(_vm.Id, path, content, content.Length - content.Position, cancellationToken);
            return;
        }

        string temporary = Path.GetTempFileName();
        await using var buffered = new FileStream(temporary, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 128 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        await content.CopyToAsync(buffered, cancellationToken);
        buffered.Position = 0;
        await _client.WriteAsync(_vm.Id, path, buffered, buffered.Length, cancellationToken);
    }

    /// <summary>Copies a local file into the VM, streaming it.</summary>
    public async Task UploadFileAsync(string localPath, string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        LocalFileReads.Report(localPath);
        await using var file = new FileStream(localPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await _client.WriteAsync(_vm.Id, path, file, file.Length, cancellationToken);
    }

    /// <summary>The file's bytes. A missing file throws <see cref="ArkerException"/> with <c>Code == "not_found"</c>.</summary>
    public Task<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return _client.ReadAsync(_vm.Id, path, cancellationToken);
    }

    /// <summary>The file as UTF-8 text.</summary>
    public async Task<string> ReadFileTextAsync(string path, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await ReadFileAsync(path, cancellationToken));

    /// <summary>Streams the file into <paramref name="destination"/>.</summary>
    public Task ReadFileAsync(string path, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(destination);
        return _client.ReadAsync(_vm.Id, path, destination, cancellationToken);
    }

    /// <summary>
    /// The regular files below <paramref name="directory"/>, recursively, with their sizes, modes and
    /// SHA-256 hashes, read by the service without moving the files. Needs the current Arker API: on
    /// <see cref="ArkerProtocol.V01"/>, which has no manifest, it throws <see cref="NotSupportedException"/>.
    /// </summary>
    public Task<DirectoryManifest> ManifestAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        return _client.ManifestAsync(_vm.Id, directory, cancellationToken);
    }

    /// <summary>
    /// Copies a file out of the VM to <paramref name="localPath"/>, streaming it through a temporary
    /// file beside the target, so a failure never leaves half a file there.
    /// </summary>
    public async Task DownloadFileAsync(string path, string localPath, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(localPath);
        string full = Path.GetFullPath(localPath);
        string temporary = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.download");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                await ReadFileAsync(path, file, cancellationToken);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
