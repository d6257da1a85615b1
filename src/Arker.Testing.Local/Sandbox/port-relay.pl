# Serves one exposed guest port of a VM. Started in the VM's network namespace (nsenter put it
# there), it listens on a Unix socket the local server connects to, and for each connection forks
# a child that connects to the VM's 127.0.0.1:<port> and copies bytes both ways, passing on each
# side's end of data. A connection to a port nothing listens on is closed at once. Exits when
# stdin closes (the port was closed, or the server is gone).
use strict;
use warnings;
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw(SOCK_STREAM IPPROTO_TCP TCP_NODELAY);

my ($path, $port) = @ARGV;
unlink $path;
my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 128) or die "cannot listen on $path: $!\n";
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
    my $guest = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Proto => 'tcp') or return;
    setsockopt($guest, IPPROTO_TCP, TCP_NODELAY, 1); # relay each write at once, as the client sent it
    my %peer = ($client => $guest, $guest => $client);
    my $open = IO::Select->new($client, $guest);
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
