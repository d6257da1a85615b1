using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Arker.Testing.Local.Network;

/// <summary>The VM's DNS queries, received where nftables redirected them and answered from here.</summary>
internal sealed partial class OutboundGateway
{
    private int _pendingLookups;
    private bool _warnedOfLookups;

    private async Task ServeLookupsAsync()
    {
        byte[] buffer = new byte[65535];
        try
        {
            while (true)
            {
                SocketReceiveFromResult query = await _network.Lookups.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), Stopping);
                if (Interlocked.Increment(ref _pendingLookups) > MaxPendingLookups)
                {
                    Interlocked.Decrement(ref _pendingLookups);
                    WarnOnce(ref _warnedOfLookups, $"{MaxPendingLookups} DNS queries being answered at once: new ones are dropped until some are answered");
                    continue;
                }

                _ = AnswerAsync(buffer[..query.ReceivedBytes], query.RemoteEndPoint);
            }
        }
        catch (Exception ex) when (IsStopping(ex))
        {
            // The VM's network is going.
        }
    }

    /// <summary>Answers an A query with the VM's address for the name, when its policy lets it look the name up and the name exists.</summary>
    private async Task AnswerAsync(byte[] query, EndPoint asker)
    {
        try
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
            await _network.Lookups.SendToAsync(answer, SocketFlags.None, asker, Stopping);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The VM's network is going, or the asker went away.
        }
        finally
        {
            Interlocked.Decrement(ref _pendingLookups);
        }
    }
}
