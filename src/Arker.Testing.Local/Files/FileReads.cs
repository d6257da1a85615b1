
namespace Arker.Testing.Local.Files;

/// <summary>Reads of a VM's files in <paramref name="area"/>: small ones inline, large ones through a presigned download streamed from the VM.</summary>
internal sealed class FileReads(PresignedUrlSigner signer, VmPath area)
{
    /// <summary>Files larger than this are read through a presigned download.</summary>
    public const int InlineReadLimit = 16 * 1024 * 1024;

    private const int CopyBufferBytes = 1024 * 1024;

    /// <summary>The area of a VM these reads reach.</summary>
    public VmPath Area => area;

    public async Task<FileRead> ReadAsync(IVmRoot vm, string path, CancellationToken cancellationToken)
    {
        VmPath reach = area.Refusing(vm.HostReadOnlyFolders);
        string[] segments = reach.Parse(path);
        return await vm.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(vm, root, reach);
            (FileStream stream, long size) = files.OpenRead(segments, path);
            await using (stream)
            {
                if (size > InlineReadLimit)
                {
                    return new FileRead(path, size, null, new SignedTransfer(signer.Sign("GET", vm.Id, path), signer.LifetimeSeconds));
                }

                byte[] content = new byte[size];
                await stream.ReadExactlyAsync(content, cancellationToken);
                return new FileRead(path, size, content, null);
            }
        }, cancellationToken);
    }

    /// <summary>
    /// Streams a file to <paramref name="destination"/> (a presigned download), once
    /// <paramref name="starting"/> has been told its size. The path was checked when the download
    /// was signed; it is checked again against <paramref name="area"/>, the widest any generation reaches.
    /// </summary>
    public static Task CopyToAsync(IVmRoot vm, string path, VmPath area, Action<long> starting, Stream destination, CancellationToken cancellationToken)
    {
        VmPath reach = area.Refusing(vm.HostReadOnlyFolders);
        string[] segments = reach.Parse(path);
        return vm.WithRootAsync(async root =>
        {
            using var files = VmFileSystem.Open(vm, root, reach);
            (FileStream stream, long size) = files.OpenRead(segments, path);
            await using (stream)
            {
                starting(size);
                await stream.CopyToAsync(destination, CopyBufferBytes, cancellationToken);
            }

            return true;
        }, cancellationToken);
    }
}
