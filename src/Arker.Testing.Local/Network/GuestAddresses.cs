using System.Net;

namespace Arker.Testing.Local.Network;

/// <summary>
/// The addresses one VM's lookups answer: each name it resolves gets an address of its own in
/// 198.18.0.0/15 (reserved for benchmarks, never routed), so a connection to it says which name
/// the VM meant and host rules match exactly that name. The server resolves the name itself, on
/// this machine, when the VM connects.
/// </summary>
internal sealed class GuestAddresses
{
    private const uint First = (198u << 24) | (18u << 16) | 1;
    private const uint Last = (198u << 24) | (19u << 16) | 0xFFFE;
    private readonly Dictionary<string, IPAddress> _byName = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<IPAddress, string> _byAddress = [];
    private readonly Lock _gate = new();

    /// <summary>Whether <paramref name="address"/> is in the range names are given from.</summary>
    public static bool IsGuestAddress(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && ToNumber(address) is >= First and <= Last;

    /// <summary>The address of <paramref name="name"/>, the same each time.</summary>
    public IPAddress For(string name)
    {
        lock (_gate)
        {
            if (_byName.TryGetValue(name, out IPAddress? known))
            {
                return known;
            }

            uint next = First + (uint)_byName.Count;
            if (next > Last)
            {
                throw new InvalidOperationException("this VM looked up more names than its address range holds");
            }

            var address = new IPAddress([(byte)(next >> 24), (byte)(next >> 16), (byte)(next >> 8), (byte)next]);
            _byName[name] = address;
            _byAddress[address] = name;
            return address;
        }
    }

    /// <summary>The name <paramref name="address"/> was given for, or null.</summary>
    public string? NameOf(IPAddress address)
    {
        lock (_gate)
        {
            return _byAddress.GetValueOrDefault(address);
        }
    }

    private static uint ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }
}
