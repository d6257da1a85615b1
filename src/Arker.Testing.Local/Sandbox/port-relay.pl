# Joins a VM's network to this machine, started in the VM's network namespace. Three modes:
#   in  <socket> <port>   a guest port exposed to this machine: listens on the Unix socket the
#                         local server connects to, and connects to the VM's 127.0.0.1:<port>;
#   out <socket> <port>   a host port offered to the VM: listens on the VM's 127.0.0.1:<port>,
#                         and connects to the Unix socket the local server listens on;
#   gateway <uid> <gid>   the VM's way out: listens on 127.0.0.1:1 (TCP) and 127.0.0.1:53 (UDP),
#                         where the VM's nftables rules redirect every outbound connection and DNS
#                         query, then gives up root for <uid>:<gid> (-1: keep who it is). Once it
#                         says ready it reads the Unix socket of its VM from stdin: each connection
#                         goes there as "tcp <ip> <port>\n" (its original destination) and waits
#                         for the server's verdict byte ('+' carried, else reset); each query as
#                         "dns <length>\n<query>", the answer coming back until end of data.
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
use Socket qw(SOCK_STREAM SOCK_DGRAM IPPROTO_TCP TCP_NODELAY SOL_SOCKET SO_LINGER);

my $SO_ORIGINAL_DST = 80;
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
    my ($uid, $gid) = @_;
    my $tcp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 1, Proto => 'tcp', Listen => 128, ReuseAddr => 1)
        or die "cannot listen on the VM's 127.0.0.1:1: $!\n";
    my $udp = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 53, Proto => 'udp')
        or die "cannot listen on the VM's 127.0.0.1:53: $!\n";
    if ($uid >= 0) {
        $) = "$gid $gid";
        POSIX::setgid($gid) or die "cannot become gid $gid: $!\n";
        POSIX::setuid($uid) or die "cannot become uid $uid: $!\n";
    }
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
sub in_child {
    my ($connection, $work) = @_;
    my $child = fork;
    if (defined $child && $child == 0) {
        $work->();
        POSIX::_exit(0);
    }
    close $connection if $connection;
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
