# Does for the local Arker server what needs a place or privileges its threads do not have: VM
# networks, and sockets inside them; without root it also holds the server's user and mount
# namespaces (unshare made them and started this) and makes its mounts and the file API's calls
# as root of them (as root the server starts one only for networks: NamespaceHelper.cs). Its
# arguments are name=value pairs: the system call numbers and kernel constants (the server keeps
# them in one table) and the abstract Unix socket to connect to.
# Requests come over that socket, one per line, fields separated by NUL bytes:
#   M <source> <target> <fstype> <flags> <data>    mount(2)
#   U <target> <flags>                              umount2(2)
#   N <mark> <table> <tcp> <dns> <udp>              a new VM network (vm-network.pl, which the server
#                                                   puts before this script), answered with its
#                                                   namespace's descriptor
#   S <kind:port> ...                               sockets made in the network namespace whose
#                                                   descriptor comes with the request (SCM_RIGHTS):
#                                                   stream, listen, udp, tproxy or raw (see
#                                                   VmSocket.cs), bound to 127.0.0.1:<port>
#   O <path> <flags> <mode> <resolve>               openat2(2) relative to the directory whose
#                                                   descriptor comes with the request; answered
#                                                   with the new descriptor
#   D <name> <mode>  R <from> <to>  X <name>        mkdir, rename and unlink of names in the
#                                                   directory whose descriptor comes with it
#   T <name>                                        removal of the folder of that name there, and
#                                                   all in it, on its own file system only
# (the file API's calls where the server, not root here, may not make them: see NamespaceFileCalls.cs;
# T: a VM's folders, whose files may belong to the subordinate ids only root here may remove)
# Each is answered with one line: 0 (with a socket request's descriptors, SCM_RIGHTS), or the
# errno. When stdin or the socket closes (the server stopped or died), this exits, and the
# namespaces and every mount in them go with it.
use strict;
use warnings;
use IO::Select;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(PF_INET SOCK_STREAM SOCK_DGRAM SOCK_RAW SOL_SOCKET SO_REUSEADDR pack_sockaddr_in inet_aton);

my %k = map { split /=/, $_, 2 } @ARGV;
my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => "\0$k{channel}") or die "cannot reach the server: $!\n";
# A network namespace of its own (empty) to come back to after making sockets in a VM's: the
# server's belongs to a user namespace in which this has no privileges, so it could not return.
syscall($k{unshare}, 0 + $k{clone_newnet}) == 0 or die "cannot make a network namespace: $!\n";
open(my $home, '<', '/proc/self/ns/net') or die "cannot open this process's network namespace: $!\n";
$| = 1;
print "ready\n";

my $waiting = IO::Select->new(\*STDIN, $server);
my ($pending, @passed) = ('');
while (1) {
    for my $handle ($waiting->can_read) {
        if ($handle == \*STDIN) {
            exit 0 unless sysread(STDIN, my $ignored, 1); # the server is gone
            next;
        }
        my $received = receive() // exit 0; # the server is gone
        $pending .= $received;
        while ($pending =~ s/\A([^\n]*)\n//) {
            answer(split /\0/, $1, -1);
        }
    }
}

sub answer {
    my ($op, @fields) = @_;
    if ($op eq 'M' && @fields == 5) {
        my ($source, $target, $type, $flags, $data) = @fields;
        reply(syscall($k{mount}, $source, $target, $type, 0 + $flags, $data) == 0 ? 0 : 0 + $!);
    } elsif ($op eq 'U' && @fields == 2) {
        my ($target, $flags) = @fields;
        reply(syscall($k{umount2}, $target, 0 + $flags) == 0 ? 0 : 0 + $!);
    } elsif ($op eq 'S' && @fields >= 1) {
        my $network = shift @passed;
        reply(defined $network ? make_sockets($network, @fields) : 9); # EBADF: no namespace came with it
        POSIX::close($network) if defined $network;
    } elsif ($op eq 'N' && @fields == 5) {
        reply(make_network(@fields));
    } elsif ($op =~ /\A[ODRXT]\z/) {
        my $directory = shift @passed;
        my @answer = defined $directory ? file_call($op, $directory, @fields) : (9); # EBADF: no directory came with it
        reply(@answer);
        POSIX::close($answer[1]) if @answer > 1;
        POSIX::close($directory) if defined $directory;
    } else {
        reply(22); # EINVAL
    }
}

# A call of the file API in the directory $directory, with this process's privileges; returns 0
# (and, for O, the descriptor opened) or the errno. Names are single names in that directory.
sub file_call {
    my ($op, $directory, @fields) = @_;
    if ($op eq 'O' && @fields == 4) {
        my ($path, $flags, $mode, $resolve) = @fields;
        my $fd = syscall($k{openat2}, 0 + $directory, $path, pack('Q Q Q', $flags, $mode, $resolve), 24);
        return $fd >= 0 ? (0, $fd) : 0 + $!;
    }
    return 22 if grep { $_ eq '' || $_ eq '.' || $_ eq '..' || m{/} } @fields;
    my $in = "/proc/self/fd/$directory";
    return (mkdir("$in/$fields[0]", 0 + $fields[1]) ? 0 : 0 + $!) if $op eq 'D' && @fields == 2;
    return (rename("$in/$fields[0]", "$in/$fields[1]") ? 0 : 0 + $!) if $op eq 'R' && @fields == 2;
    return (unlink("$in/$fields[0]") ? 0 : 0 + $!) if $op eq 'X' && @fields == 1;
    return remove_tree("$in/$fields[0]") if $op eq 'T' && @fields == 1;
    return 22;
}

# Removes $path and all in it, links not followed; a folder on another file system (a mount left
# inside) is not entered, and the removal stops there with EBUSY. 0 (also for nothing there), or
# the errno.
sub remove_tree {
    my ($path, $device) = @_;
    my @status = lstat($path) or return $! == 2 ? 0 : 0 + $!; # ENOENT: gone already
    return unlink($path) ? 0 : 0 + $! unless -d _;
    return 16 if defined $device && $status[0] != $device; # EBUSY
    opendir(my $folder, $path) or return 0 + $!;
    my @names = grep { $_ ne '.' && $_ ne '..' } readdir $folder;
    closedir $folder;
    for my $name (@names) {
        my $error = remove_tree("$path/$name", $status[0]);
        return $error if $error;
    }
    return rmdir($path) ? 0 : 0 + $!;
}

# A new VM network, owned by this user namespace: made in a new network namespace that this
# process enters only to set it up (vm-network.pl) and to open it, then returns home; returns 0
# and the namespace's descriptor, or the errno (EINVAL for a failure without one).
sub make_network {
    my ($mark, $table, $tcp, $dns, $udp) = @_;
    syscall($k{unshare}, 0 + $k{clone_newnet}) == 0 or return 0 + $!;
    my $made = eval {
        set_up_vm_network($mark, $table, $tcp, $dns, $udp);
        open(my $namespace, '<', '/proc/self/ns/net') or die "cannot open the network namespace: $!\n";
        $namespace;
    };
    my $error = $made ? 0 : (0 + $! || 22);
    syscall($k{setns}, fileno($home), 0 + $k{clone_newnet}) == 0 or die "cannot return to the server's network namespace: $!\n";
    return $made ? (0, $made) : $error;
}

# Enters the network namespace (a descriptor) only to create the sockets (a socket stays in the
# namespace it was made in), comes back, then binds them; returns 0 and the sockets, or the errno.
sub make_sockets {
    my ($network, @wanted) = @_;
    syscall($k{setns}, $network, 0 + $k{clone_newnet}) == 0 or return 0 + $!;
    my (@made, $error);
    for my $spec (@wanted) {
        my ($kind) = split /:/, $spec;
        my ($type, $protocol) = $kind eq 'raw' ? (SOCK_RAW, 0 + $k{ip_proto_raw}) : $kind =~ /\A(?:stream|listen)\z/ ? (SOCK_STREAM, 0) : (SOCK_DGRAM, 0);
        socket(my $socket, PF_INET, $type, $protocol) or do { $error = 0 + $!; last };
        push @made, $socket;
    }
    syscall($k{setns}, fileno($home), 0 + $k{clone_newnet}) == 0 or die "cannot return to the server's network namespace: $!\n";
    return $error if $error;
    for my $i (0 .. $#wanted) {
        my ($kind, $port) = split /:/, $wanted[$i];
        my ($socket, $local) = ($made[$i], pack_sockaddr_in(0 + $port, inet_aton('127.0.0.1')));
        my $ok = $kind eq 'listen' ? setsockopt($socket, SOL_SOCKET, SO_REUSEADDR, 1) && bind($socket, $local) && listen($socket, 128)
            : $kind eq 'tproxy' ? setsockopt($socket, $k{sol_ip}, $k{ip_transparent}, 1) && setsockopt($socket, $k{sol_ip}, $k{ip_recvorigdstaddr}, 1) && bind($socket, $local)
            : $kind eq 'udp' ? bind($socket, $local)
            : 1;
        return 0 + $! unless $ok;
    }
    return (0, @made);
}

# recvmsg(2) through syscall (perl has no recvmsg): what came from the server, its descriptors
# (SCM_RIGHTS, close-on-exec) queued in @passed; undef at the end (the server is gone).
sub receive {
    my ($data, $control) = ("\0" x 65536, "\0" x 256);
    my $vector = pack('Q Q', unpack('Q', pack('p', $data)), 65536);
    my $header = pack('Q L x4 Q Q Q Q i x4', 0, 0, unpack('Q', pack('p', $vector)), 1, unpack('Q', pack('p', $control)), 256, 0);
    my $length = syscall($k{recvmsg}, fileno($server), $header, 0 + $k{msg_cmsg_cloexec});
    return undef if $length <= 0;
    my $control_length = (unpack('Q L x4 Q Q Q Q', $header))[5];
    for (my $at = 0; $at + 16 <= $control_length;) {
        my ($size, $level, $type) = unpack('Q i i', substr($control, $at, 16));
        last if $size < 16;
        push @passed, unpack('i*', substr($control, $at + 16, $size - 16)) if $level == SOL_SOCKET && $type == $k{scm_rights};
        $at += ($size + 7) & ~7;
    }
    return substr($data, 0, $length);
}

# sendmsg(2) through syscall (perl has no sendmsg): the answer line, and the sockets' descriptors
# as one SCM_RIGHTS control message (struct msghdr, iovec and cmsghdr of a 64-bit machine).
sub reply {
    my ($status, @sockets) = @_;
    my $line = "$status\n";
    my @descriptors = map { ref $_ ? fileno $_ : $_ } @sockets; # sockets, or descriptors opened here
    my $vector = pack('Q Q', unpack('Q', pack('p', $line)), length $line);
    my $control = '';
    if (@descriptors) {
        $control = pack('Q i i', 16 + 4 * @descriptors, SOL_SOCKET, 0 + $k{scm_rights}) . pack('i*', @descriptors);
        $control .= "\0" x ((8 - length($control) % 8) % 8);
    }
    my $header = pack('Q L x4 Q Q Q Q i x4', 0, 0, unpack('Q', pack('p', $vector)), 1,
        length $control ? unpack('Q', pack('p', $control)) : 0, length $control, 0);
    syscall($k{sendmsg}, fileno($server), $header, 0) >= 0 or die "cannot answer the server: $!\n";
}
