# Joins a VM's network to this machine for one port, started in the VM's network namespace
# (nsenter put it there). Two directions:
#   in  <socket> <port>   a guest port exposed to this machine: listens on the Unix socket the
#                         local server connects to, and connects to the VM's 127.0.0.1:<port>;
#   out <socket> <port>   a host port offered to the VM: listens on the VM's 127.0.0.1:<port>,
#                         and connects to the Unix socket the local server listens on.
# Each connection gets a forked child that copies bytes both ways, passing on each side's end of
# data; one whose other side cannot be reached is closed at once. The Unix socket lives in the
# server's folder, out of every VM's sight. Exits when stdin closes (the port was closed, or the
# server is gone).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM IPPROTO_TCP TCP_NODELAY);

my ($direction, $path, $port) = @ARGV;
my $inbound = $direction eq 'in';
unlink $path if $inbound;
my $server = $inbound
    ? IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 128)
    : IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port, Proto => 'tcp', Listen => 128, ReuseAddr => 1);
die "cannot listen on " . ($inbound ? $path : "the VM's 127.0.0.1:$port") . ": $!\n" unless $server;
$SIG{CHLD} = 'IGNORE';
$| = 1;
print "ready\n";
my $waiting = IO::Select->new($server, \*STDIN);
while (1) {
    for my $handle ($waiting->can_read) {
        if ($handle != $server) {
            my $ignored;
            exit 0 unless sysread(STDIN, $ignored, 1);
            next;
        }
        my $client = $server->accept or next;
        my $child = fork;
        if (defined $child && $child == 0) {
            close $server;
            relay($client);
            exit 0;
        }
        close $client;
    }
}

sub relay {
    my ($client) = @_;
    my $other = $inbound
        ? IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp')
        : IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
    return unless $other;
    setsockopt($inbound ? $other : $client, IPPROTO_TCP, TCP_NODELAY, 1); # relay each write at once
    my %peer = ($client => $other, $other => $client);
    my $open = IO::Select->new($client, $other);
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
