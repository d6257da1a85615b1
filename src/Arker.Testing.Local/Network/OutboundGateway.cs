using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Arker.Testing.Local.Sandbox;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Network;

/// <summary>
/// One VM's way out. The VM's network namespace sends every outbound TCP connection and DNS query
/// to a relay (<c>port-relay.pl</c>, mode <c>gateway</c>), which hands each to this server over a
/// Unix socket in its folder, out of the VM's sight. Here the VM's policy decides: a lookup is
/// answered with one of the VM's own addresses for the name (<see cref="GuestAddresses"/>); a
/// connection or UDP flow is resolved, judged, made from this machine, and carried, or refused
/// (a TCP connection with a reset; a flow's datagrams are dropped). Nothing else leaves the VM.
/// </summary>
internal sealed class OutboundGateway : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    private static readonly byte[] Carried = "+"u8.ToArray();
    private static readonly byte[] Refused = "-"u8.ToArray();
    private readonly RelayListener _link;
    private readonly Func<NetworkPolicy> _policy;
    private readonly GatewaySettings _settings;
    private readonly GuestAddresses _names = new();

    private OutboundGateway(RelayListener link, Func<NetworkPolicy> policy, GatewaySettings settings)
    {
        _link = link;
        _policy = policy;
        _settings = settings;
        link.Carry(CarryAsync);
    }

    /// <summary>The relay's process, which holds the VM's network namespace.</summary>
    public int ProcessId => _link.Relay.Id;

    /// <summary>
    /// Gives a started relay (one of <see cref="GatewayPool"/>'s) its VM: listens on the Unix
    /// socket (<paramref name="socketPath"/> to the relay, <paramref name="socketView"/> from here)
    /// and tells the relay where it is.
    /// </summary>
    public static async Task<OutboundGateway> AttachAsync(Process relay, string socketPath, string socketView, Func<NetworkPolicy> policy, GatewaySettings settings)
    {
        RelayListener link = await RelayListener.OpenAsync(socketView, async () =>
        {
            await relay.StandardInput.WriteLineAsync(socketPath);
            await relay.StandardInput.FlushAsync();
            return relay;
        });
        return new OutboundGateway(link, policy, settings);
    }

    public ValueTask DisposeAsync() => _link.DisposeAsync();

    private CancellationToken Stopping => _link.Stopping;

    private async Task CarryAsync(Socket fromVm)
    {
        using (fromVm)
        {
            try
            {
                (string header, byte[] rest, int restLength) = await ReadHeaderAsync(fromVm);
                string[] parts = header.Split(' ');
                if (parts is [string protocol and ("tcp" or "udp"), string address, string port] && IPAddress.TryParse(address, out IPAddress? destination) && int.TryParse(port, CultureInfo.InvariantCulture, out int number))
                {
                    await (protocol == "tcp" ? ConnectAsync(fromVm, destination, number) : CarryDatagramsAsync(fromVm, destination, number, rest, restLength));
                }
                else if (parts is ["dns", string length] && int.TryParse(length, CultureInfo.InvariantCulture, out int queryLength) && queryLength is > 0 and <= 65535)
                {
                    await AnswerAsync(fromVm, await ReadQueryAsync(fromVm, rest, restLength, queryLength));
                }
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
            {
                // The VM side went away, or the VM is being deleted.
            }
        }
    }

    /// <summary>Connects the VM to its destination if its policy allows; the relay resets the VM's connection on anything but '+'.</summary>
    private async Task ConnectAsync(Socket fromVm, IPAddress destination, int port)
    {
        if (await AllowedAsync(destination, port, "connection") is not { } allowed)
        {
            await fromVm.SendAsync(Refused, SocketFlags.None, Stopping);
            return;
        }

        using var upstream = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(Stopping))
        {
            connecting.CancelAfter(ConnectTimeout);
            try
            {
                await upstream.ConnectAsync(new IPEndPoint(allowed, port), connecting.Token);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !Stopping.IsCancellationRequested))
            {
                await fromVm.SendAsync(Refused, SocketFlags.None, Stopping);
                return;
            }
        }

        await fromVm.SendAsync(Carried, SocketFlags.None, Stopping);
        await SocketJoin.CarryAsync(fromVm, upstream, Stopping);
    }

    /// <summary>
    /// Carries one UDP flow of the VM, if its policy allows: datagrams framed by their 2-byte length
    /// on the relay's stream, each sent from a socket of this machine connected to the destination,
    /// and answers back the same way, until the relay ends the flow (a minute of silence).
    /// </summary>
    private async Task CarryDatagramsAsync(Socket fromVm, IPAddress destination, int port, byte[] rest, int restLength)
    {
        if (await AllowedAsync(destination, port, "UDP flow") is not { } allowed)
        {
            await fromVm.SendAsync(Refused, SocketFlags.None, Stopping);
            return;
        }

        using var upstream = new Socket(allowed.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await upstream.ConnectAsync(new IPEndPoint(allowed, port), Stopping);
        await fromVm.SendAsync(Carried, SocketFlags.None, Stopping);
        using var flow = CancellationTokenSource.CreateLinkedTokenSource(Stopping);
        Task answers = AnswersToVmAsync(upstream, fromVm, flow.Token);
        try
        {
            await DatagramsFromVmAsync(fromVm, upstream, rest.AsMemory(0, restLength), flow.Token);
        }
        finally
        {
            await flow.CancelAsync();
            await answers.ContinueWith(_ => { }, TaskScheduler.Default); // ends with the flow
        }
    }

    private static async Task DatagramsFromVmAsync(Socket fromVm, Socket upstream, ReadOnlyMemory<byte> already, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[2 + 65535 + 65536];
        already.CopyTo(buffer);
        int length = already.Length;
        while (true)
        {
            while (length >= 2 && length >= 2 + ((buffer[0] << 8) | buffer[1]))
            {
                int size = (buffer[0] << 8) | buffer[1];
                await upstream.SendAsync(buffer.AsMemory(2, size), SocketFlags.None, cancellationToken);
                Buffer.BlockCopy(buffer, 2 + size, buffer, 0, length - 2 - size);
                length -= 2 + size;
            }

            int read = await fromVm.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                return; // the relay ended the flow
            }

            length += read;
        }
    }

    private static async Task AnswersToVmAsync(Socket upstream, Socket fromVm, CancellationToken cancellationToken)
    {
        byte[] frame = new byte[2 + 65535];
        while (true)
        {
            int size = await upstream.ReceiveAsync(frame.AsMemory(2), SocketFlags.None, cancellationToken);
            frame[0] = (byte)(size >> 8);
            frame[1] = (byte)size;
            await fromVm.SendAsync(frame.AsMemory(0, 2 + size), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>
    /// The address of this machine's side to reach for the VM's <paramref name="destination"/>
    /// (one of its own addresses for a name, or an address as it is), if the VM's policy allows
    /// <paramref name="port"/> there; null, logged, if not.
    /// </summary>
    private async Task<IPAddress?> AllowedAsync(IPAddress destination, int port, string what)
    {
        NetworkPolicy policy = _policy();
        string? host = GuestAddresses.IsGuestAddress(destination) ? _names.NameOf(destination) : null;
        IPAddress[] candidates = host is null
            ? GuestAddresses.IsGuestAddress(destination) ? [] : [destination]
            : policy.AllowsLookup(host, _settings.DefaultAccess) ? await _settings.Lookup.ResolveAsync(host, Stopping) : [];
        IPAddress? allowed = candidates.FirstOrDefault(address =>
            policy.AllowsOutbound(host, address, port, _settings.Lookup.IsThisMachine(address), _settings.DefaultAccess));
        if (allowed is null)
        {
            _settings.Logger.LogInformation("Refused a VM's {What} to {Destination}:{Port}: its network policy does not allow it", what, host ?? destination.ToString(), port);
        }

        return allowed;
    }

    /// <summary>Answers an A query with the VM's address for the name, when its policy lets it look the name up and the name exists.</summary>
    private async Task AnswerAsync(Socket fromVm, byte[] query)
    {
        if (!DnsMessage.TryReadQuestion(query, out string name, out ushort type, out int questionEnd))
        {
            return;
        }

        NetworkPolicy policy = _policy();
        byte[] answer;
        if (!policy.AllowsLookup(name, _settings.DefaultAccess))
        {
            answer = DnsMessage.Answer(query, questionEnd, DnsResponseCode.Refused, null);
        }
        else
        {
            IPAddress[]? found;
            try
            {
                found = await _settings.Lookup.ResolveAsync(name, Stopping);
            }
            catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !Stopping.IsCancellationRequested))
            {
                found = null;
            }

            answer = found switch
            {
                null => DnsMessage.Answer(query, questionEnd, DnsResponseCode.ServerFailure, null),
                [] => DnsMessage.Answer(query, questionEnd, DnsResponseCode.NameError, null),
                _ => DnsMessage.Answer(query, questionEnd, DnsResponseCode.NoError, type == DnsMessage.TypeA ? _names.For(name) : null), // only IPv4: other types have no records
            };
        }

        _settings.Logger.LogDebug("A VM looked up {Name} (type {Type}): answer {Code}", name, type, (DnsResponseCode)(answer[3] & 0x0F));
        await fromVm.SendAsync(answer, SocketFlags.None, Stopping);
        fromVm.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads the relay's header line, and what came after it.</summary>
    private async Task<(string Header, byte[] Buffer, int Length)> ReadHeaderAsync(Socket fromVm)
    {
        byte[] buffer = new byte[1024];
        int length = 0;
        int end;
        while ((end = Array.IndexOf(buffer, (byte)'\n', 0, length)) < 0)
        {
            int read = length < buffer.Length ? await fromVm.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, Stopping) : 0;
            if (read == 0)
            {
                throw new IOException("the relay's header did not end");
            }

            length += read;
        }

        byte[] rest = buffer[(end + 1)..length];
        return (Encoding.ASCII.GetString(buffer, 0, end), rest, rest.Length);
    }

    private async Task<byte[]> ReadQueryAsync(Socket fromVm, byte[] rest, int restLength, int queryLength)
    {
        byte[] query = new byte[queryLength];
        int length = Math.Min(restLength, queryLength);
        rest.AsSpan(0, length).CopyTo(query);
        while (length < queryLength)
        {
            int read = await fromVm.ReceiveAsync(query.AsMemory(length), SocketFlags.None, Stopping);
            length += read > 0 ? read : throw new IOException("the query ended early");
        }

        return query;
    }
}

/// <summary>What every VM's gateway shares: the server's default for an empty policy, this machine's names, the log.</summary>
internal sealed record GatewaySettings(NetworkAccess DefaultAccess, HostLookup Lookup, ILogger Logger);
