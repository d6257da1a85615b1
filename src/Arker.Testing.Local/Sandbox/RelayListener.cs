using System.Diagnostics;
using System.Net.Sockets;

namespace Arker.Testing.Local.Sandbox;

/// <summary>
/// The server's side of a relay that connects to the server (a host port offered to a VM, a VM's
/// gateway): the Unix socket it connects to, in the server's folder, the relay process, and the
/// loop that carries each connection. Disposing stops the relay and the loop, with the
/// connections it still carries, and removes the socket.
/// </summary>
internal sealed class RelayListener : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _socketView;
    private readonly CancellationTokenSource _stopping = new();
    private Task _accepting = Task.CompletedTask;

    private RelayListener(Socket listener, string socketView, Process relay)
    {
        _listener = listener;
        _socketView = socketView;
        Relay = relay;
    }

    /// <summary>The relay's process.</summary>
    public Process Relay { get; }

    /// <summary>Cancelled when the link closes.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>
    /// Listens on a Unix socket at <paramref name="socketView"/> (the relay runs as the VM user, so
    /// anyone may connect; the folder keeps VMs out), then has <paramref name="startRelay"/> start
    /// the relay. If that fails, the socket goes.
    /// </summary>
    public static async Task<RelayListener> OpenAsync(string socketView, Func<Task<Process>> startRelay)
    {
        RelayProcess.CheckSocketPath(socketView);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketView));
            File.SetUnixFileMode(socketView, (UnixFileMode)0x1B6);
            listener.Listen(128);
            return new RelayListener(listener, socketView, await startRelay());
        }
        catch
        {
            listener.Dispose();
            File.Delete(socketView);
            throw;
        }
    }

    /// <summary>Carries each connection the relay makes with <paramref name="carry"/>, until the link closes.</summary>
    public void Carry(Func<Socket, Task> carry) =>
        _accepting = RelayProcess.AcceptAsync(stopping => _listener.AcceptAsync(stopping), carry, _stopping.Token);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        RelayProcess.Stop(Relay);
        _listener.Dispose();
        await _accepting;
        File.Delete(_socketView);
        _stopping.Dispose();
    }
}
