# Joins a VM's network to this machine, started in the VM's network namespace. Three modes:
#   in  <socket> <port>   a guest port exposed to this machine: listens on the Unix socket the
#                         local server connects to, and connects to the VM's 127.0.0.1:<port>;
#   out <socket> <port>   a host port offered to the VM: listens on the VM's 127.0.0.1:<port>,
#                         and connects to the Unix socket the local server listens on;
#   gateway <recvmsg>     the VM's way out: listens on 127.0.0.1:1 (TCP), 127.0.0.1:53 (UDP) and,
#                         transparently, 127.0.0.1:2 (UDP), where the VM's nftables rules send every
#                         outbound connection, DNS query and other datagram (<recvmsg> is the
#                         system call's number, which reads a datagram's original destination).
#                         Once it says ready it reads the Unix socket of its VM from stdin: each
#                         connection goes there as "tcp <ip> <port>\n" (its original destination)
#                         and waits for the server's verdict byte ('+' carried, else reset); each
#                         query as "dns <length>\n<query>", the answer coming back until end of
#                         data; each UDP flow (a source and a destination) as "udp <ip> <port>\n",
#                         then, after '+', its datagrams both ways, each after its 2-byte length.
# Each connection gets a forked child that copies bytes both ways, passing on each side's end of
# data; one whose other side cannot be reached is closed at once. The Unix socket lives in the
# server's folder, out of every VM's sight. Exits when stdin closes (the link was closed, the VM
# deleted, or the server is gone).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use POSIX ();
use Socket qw(PF_INET SOCK_STREAM SOCK_DGRAM IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_LINGER SO_REUSEADDR pack_sockaddr_in inet_aton);

my ($SO_ORIGINAL_DST, $IP_TRANSPARENT, $IP_RECVORIGDSTADDR, $UDP_IDLE_SECONDS) = (80, 19, 20, 60);
my $direction = shift @ARGV;
$SIG{CHLD} = 'IGNORE';
$SIG{PIPE} = 'IGNORE'; # a side that went away ends its connection, not the relay
$| = 1;
if ($direction eq 'gateway') { gateway(@ARGV) } else { link_port($direction eq 'in', @ARGV) }

sub link_port {
    my ($inbound, $path, $port) = @_;
    unlink $path if $inbound;
    my $server = $inbound
        ? IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 128)
        : IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp', Listen => 128, ReuseAddr => 1);
    die "cannot listen on " . ($inbound ? $path : "the VM's 127.0.0.1:$port") . ": $!\n" unless $server;
    print "ready\n";
    serve($server => sub {
        my $client = $server->accept or return;
        in_child($client, sub {
            my $other = $inbound
                ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
                : IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
            relay($inbound ? ($other, $client) : ($client, $other)) if $other;
        });
    });
}

sub gateway {
    my ($recvmsg) = @_;
    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 1, Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "cannot listen on the VM's 127.0.0.1:1: $!\n";
    my $udp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 53, Proto => 'udp')
        or die "cannot listen on the VM's 127.0.0.1:53: $!\n";
    my $datagrams = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 2, Proto => 'udp')
        or die "cannot listen on the VM's 127.0.0.1:2: $!\n";
    setsockopt($datagrams, 0, $IP_TRANSPARENT, 1) && setsockopt($datagrams, 0, $IP_RECVORIGDSTADDR, 1)
        or die "cannot receive datagrams transparently: $!\n";
    my %flows; # "<source>|<destination>" => the pid of the child that carries it
    print "ready\n";
    my $path = <STDIN>;
    exit 0 unless defined $path;
    chomp $path;
    serve(
        $tcp => sub {
            my $client = $tcp->accept or return;
            in_child($client, sub {
                my $original = getsockopt($client, 0, $SO_ORIGINAL_DST) // return; # a struct sockaddr_in
                my ($port, @address) = unpack('x2 n C4', $original);
                my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or return;
                print $server "tcp " . join('.', @address) . " $port\n";
                my $verdict = '';
                sysread($server, $verdict, 1);
                if ($verdict ne '+') {
                    setsockopt($client, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0)); # a reset, as a refusal looks
                    return;
                }
                relay($client, $server);
            });
        },
        $datagrams => sub {
            my ($datagram, $source, $address, $port) = receive_with_destination($datagrams, $recvmsg) or return;
            my $flow = "$source|$address:$port";
            return if $flows{$flow} && kill(0, $flows{$flow}); # its carrier is taking over; a datagram in between is lost
            if (keys %flows > 1024) { delete $flows{$_} for grep { !kill(0, $flows{$_}) } keys %flows }
            $flows{$flow} = in_child(undef, sub { carry_datagrams($path, $datagram, $source, $address, $port) });
        },
        $udp => sub {
            my $peer = $udp->recv(my $query, 65535) // return;
            in_child(undef, sub {
                my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or return;
                print $server "dns " . length($query) . "\n" . $query;
                my ($answer, $buffer) = ('', '');
                $answer .= $buffer while sysread($server, $buffer, 65536);
                send($udp, $answer, 0, $peer) if length $answer;
            });
        },
    );
}

# Calls each listener's handler whenever it can be read; exits when stdin closes.
sub serve {
    my @pairs = @_;
    my %handler_of = @pairs;
    my $waiting = IO::Select->new(\*STDIN, @pairs[grep { $_ % 2 == 0 } 0 .. $#pairs]);
    while (1) {
        for my $handle ($waiting->can_read) {
            if ($handle == \*STDIN) {
                my $ignored;
                exit 0 unless sysread(STDIN, $ignored, 1);
                next;
            }
            $handler_of{"$handle"}->();
        }
    }
}

# Runs $work in a forked child, which exits when it is done; the parent lets go of $connection.
# Returns the child's pid.
sub in_child {
    my ($connection, $work) = @_;
    my $child = fork;
    if (defined $child && $child == 0) {
        $work->();
        POSIX::_exit(0);
    }
    close $connection if $connection;
    return $child;
}

# recvmsg(2) through syscall (perl has no recvmsg): a datagram, its source (a packed sockaddr)
# and its original destination (IP_ORIGDSTADDR), or nothing.
sub receive_with_destination {
    my ($socket, $recvmsg) = @_;
    my ($data, $name, $control) = ("\0" x 65536, "\0" x 16, "\0" x 256);
    my $iov = pack('Q Q', unpack('Q', pack('p', $data)), 65536);
    my $header = pack('Q L x4 Q Q Q Q i x4', unpack('Q', pack('p', $name)), 16, unpack('Q', pack('p', $iov)), 1, unpack('Q', pack('p', $control)), 256, 0);
    my $length = syscall($recvmsg, fileno($socket), $header, 0);
    return if $length < 0;
    my $control_length = (unpack('Q L x4 Q Q Q Q', $header))[5];
    for (my $at = 0; $at + 16 <= $control_length;) {
        my ($size, $level, $type) = unpack('Q i i', substr($control, $at));
        if ($level == 0 && $type == $IP_RECVORIGDSTADDR) {
            my ($port, @address) = unpack('x2 n C4', substr($control, $at + 16, 8));
            return (substr($data, 0, $length), $name, join('.', @address), $port);
        }
        $at += ($size + 7) & ~7;
    }
    return;
}

# One UDP flow: a socket that answers from the destination the VM meant (and, being connected to
# the VM's source, now receives the flow's datagrams), and a stream to the server, which judges
# the flow, then carries datagrams framed by their length. Ends after a minute of silence.
sub carry_datagrams {
    my ($path, $first, $source, $address, $port) = @_;
    socket(my $answering, PF_INET, SOCK_DGRAM, 0) or return;
    setsockopt($answering, SOL_SOCKET, SO_REUSEADDR, 1);
    setsockopt($answering, 0, $IP_TRANSPARENT, 1) or return;
    bind($answering, pack_sockaddr_in($port, inet_aton($address))) && connect($answering, $source) or return;
    my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path) or return;
    print $server "udp $address $port\n";
    my $verdict = '';
    sysread($server, $verdict, 1);
    return unless $verdict eq '+';
    syswrite($server, pack('n', length $first) . $first);
    my ($buffer, $read) = ('', '');
    my $open = IO::Select->new($answering, $server);
    while (my @ready = $open->can_read($UDP_IDLE_SECONDS)) {
        for my $from (@ready) {
            if ($from == $answering) {
                defined(recv($answering, my $datagram, 65535, 0)) or next;
                syswrite($server, pack('n', length $datagram) . $datagram) or return;
                next;
            }
            sysread($server, $read, 65536) or return;
            $buffer .= $read;
            while (length $buffer >= 2 && length $buffer >= 2 + unpack('n', $buffer)) {
                my $length = unpack('n', $buffer);
                send($answering, substr($buffer, 2, $length), 0);
                substr($buffer, 0, 2 + $length) = '';
            }
        }
    }
}

# Copies bytes both ways between a TCP connection and its other side until both have ended.
sub relay {
    my ($tcp, $other) = @_;
    setsockopt($tcp, IPPROTO_TCP, TCP_NODELAY, 1); # relay each write at once
    my %peer = ($tcp => $other, $other => $tcp);
    my $open = IO::Select->new($tcp, $other);
    my $buffer;
    while ($open->count) {
        for my $from ($open->can_read) {
            my $to = $peer{$from};
            my $read = sysread($from, $buffer, 65536);
            if (!$read) {
                $open->remove($from);
                shutdown($to, 1);
                next;
            }
            my $offset = 0;
            while ($offset < $read) {
                my $written = syswrite($to, $buffer, $read - $offset, $offset);
                return unless defined $written;
                $offset += $written;
            }
        }
    }
}
