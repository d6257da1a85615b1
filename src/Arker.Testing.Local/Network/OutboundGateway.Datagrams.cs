using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Arker.Testing.Local.Native;

namespace Arker.Testing.Local.Network;

/// <summary>
/// The VM's UDP flows other than DNS, diverted with their destination (TPROXY). A flow (a VM
/// source and a destination) is judged once; if allowed, its datagrams go out from a socket of
/// this machine connected to the destination, and the answers come back to the VM as whole
/// packets from the address and port it meant, through the raw sender. A flow ends after a
/// minute of silence either way.
/// </summary>
internal sealed partial class OutboundGateway
{
    private static readonly TimeSpan FlowIdleTimeout = TimeSpan.FromSeconds(60);
    private readonly Dictionary<(IPEndPoint Source, IPEndPoint Destination), UdpFlow> _flows = [];
    private bool _warnedOfFlows;

    private async Task ServeDatagramsAsync()
    {
        byte[] buffer = new byte[UdpPacket.MaxPayload];
        try
        {
            while (true)
            {
                await _network.Datagrams.ReceiveAsync(Memory<byte>.Empty, SocketFlags.Peek, Stopping); // waits until one is there
                while (SocketMessages.TryReceiveDatagram(_network.Datagrams, buffer, out int length, out IPEndPoint source, out IPEndPoint? destination))
                {
                    if (destination is not null)
                    {
                        FlowOf(source, destination)?.FromVm(buffer.AsSpan(0, length));
                    }
                }
            }
        }
        catch (Exception ex) when (IsStopping(ex))
        {
            // The VM's network is going.
        }
    }

    private Task[] OpenFlows()
    {
        lock (_flows)
        {
            return [.. _flows.Values.Select(flow => flow.Ended)];
        }
    }

    /// <summary>The flow of <paramref name="source"/> to <paramref name="destination"/>, begun if new; null past <see cref="MaxFlows"/>.</summary>
    private UdpFlow? FlowOf(IPEndPoint source, IPEndPoint destination)
    {
        lock (_flows)
        {
            if (_flows.TryGetValue((source, destination), out UdpFlow? known))
            {
                return known;
            }

            if (_flows.Count >= MaxFlows)
            {
                WarnOnce(ref _warnedOfFlows, $"{MaxFlows} UDP flows at once: datagrams of new flows are dropped until some end");
                return null;
            }

            var flow = new UdpFlow(this, source, destination);
            _flows[(source, destination)] = flow;
            flow.Start();
            return flow;
        }
    }

    private void Forget(UdpFlow flow)
    {
        lock (_flows)
        {
            _flows.Remove((flow.Source, flow.Destination));
        }
    }

    /// <summary>One UDP flow of the VM, from its judgement to a minute of silence.</summary>
    private sealed class UdpFlow(OutboundGateway gateway, IPEndPoint source, IPEndPoint destination)
    {
        private readonly Channel<byte[]> _fromVm = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropWrite });
        private readonly CancellationTokenSource _idle = new(FlowIdleTimeout, gateway._settings.Clock);

        public IPEndPoint Source => source;

        public IPEndPoint Destination => destination;

        public Task Ended { get; private set; } = Task.CompletedTask;

        public void Start() => Ended = RunAsync();

        /// <summary>A datagram the VM sent in this flow; dropped if the flow is refused, or falls far behind.</summary>
        public void FromVm(ReadOnlySpan<byte> datagram) => _fromVm.Writer.TryWrite(datagram.ToArray());

        private async Task RunAsync()
        {
            await Task.Yield(); // off the receiving loop
            using var flow = CancellationTokenSource.CreateLinkedTokenSource(gateway.Stopping, _idle.Token);
            try
            {
                if (await gateway.AllowedAsync(destination.Address, destination.Port, "UDP flow") is not { } allowed)
                {
                    await DropAsync(flow.Token); // judged once: later datagrams of the flow are dropped without asking again
                    return;
                }

                using var upstream = new Socket(allowed.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                await upstream.ConnectAsync(new IPEndPoint(allowed, destination.Port), flow.Token);
                await Task.WhenAll(ToDestinationAsync(upstream, flow.Token), ToVmAsync(upstream, flow.Token));
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Silent for a minute, the destination unreachable, or the VM's network going.
            }
            finally
            {
                gateway.Forget(this);
                _idle.Dispose();
            }
        }

        private async Task DropAsync(CancellationToken cancellationToken)
        {
            await foreach (byte[] _ in _fromVm.Reader.ReadAllAsync(cancellationToken))
            {
                _idle.CancelAfter(FlowIdleTimeout);
            }
        }

        private async Task ToDestinationAsync(Socket upstream, CancellationToken cancellationToken)
        {
            await foreach (byte[] datagram in _fromVm.Reader.ReadAllAsync(cancellationToken))
            {
                _idle.CancelAfter(FlowIdleTimeout);
                await upstream.SendAsync(datagram, SocketFlags.None, cancellationToken);
            }
        }

        private async Task ToVmAsync(Socket upstream, CancellationToken cancellationToken)
        {
            byte[] packet = new byte[UdpPacket.HeaderLength + UdpPacket.MaxPayload];
            var vm = new IPEndPoint(source.Address, 0);
            while (true)
            {
                int received = await upstream.ReceiveAsync(packet.AsMemory(UdpPacket.HeaderLength, UdpPacket.MaxPayload), SocketFlags.None, cancellationToken);
                _idle.CancelAfter(FlowIdleTimeout);
                int length = UdpPacket.Write(packet, destination, source, packet.AsSpan(UdpPacket.HeaderLength, received));
                await gateway._network.Answers.SendToAsync(packet.AsMemory(0, length), SocketFlags.None, vm, cancellationToken);
            }
        }
    }
}
