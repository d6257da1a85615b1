# A prototype of a starter for the local Arker server's sandboxes and VM network set-ups, measured
# by `bench starter` (StarterPrototype.cs) and not used by the server: one long-lived process per
# server that forks a child per start, which runs sandbox-start.pl (compiled here once) with the
# start's arguments. A start then costs a fork of this small process, where the server's start of
# Perl costs its spawn, Perl's own start and the script's compilation each time.
#
# Its arguments are name=value pairs: the abstract Unix socket to connect to (channel), the text
# of sandbox-start.pl (script), optionally that of tenant-prototype.pl (tenant, run for "enter"
# in place of "start", when this was started in kept namespaces), and the system call numbers of this machine (prctl, recvmsg,
# sendmsg, pidfd_open; the server keeps them in one table). Over the socket, the server sends
#   start NUL arg NUL arg NUL ... LF   with three descriptors (SCM_RIGHTS): the child's stdin,
#                                      stdout and stderr
# and this answers, in order, "started PID" with a pidfd of the child (so the server signals that
# process and no other, even once its id is reused), or "failed ERRNO"; and, whenever a child ends,
# "exited PID CODE" (128 + the signal for one killed). It dies with the server (PR_SET_PDEATHSIG)
# and exits when its stdin or the socket closes; a child's bubblewrap dies with it.

use strict;
use warnings;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM SOL_SOCKET);

my %k = map { split /=/, $_, 2 } @ARGV;
syscall(0 + $k{prctl}, 1, 9) == 0 or die "cannot ask to die with the server: $!\n"; # PR_SET_PDEATHSIG, SIGKILL
my $scm_rights = 1;

my $start_sandbox = eval "sub { $k{script}\n}" or die "cannot compile sandbox-start.pl: $@";
# Started in kept namespaces (bench starter's tenants), it also runs tenant-prototype.pl for "enter".
my $enter_tenant = defined $k{tenant} ? (eval "sub { $k{tenant}\n}" or die "cannot compile tenant-prototype.pl: $@") : undef;

my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => "\0$k{channel}") or die "cannot reach the server: $!\n";

# A child's end is noticed through a pipe the signal handler writes to, so select() wakes for it.
pipe(my $ended_read, my $ended_write) or die "cannot make a pipe: $!\n";
$SIG{CHLD} = sub { syswrite($ended_write, 'x') };

# recvmsg(2) through syscall (perl has no recvmsg): the bytes, with any descriptors queued in @passed
# (close-on-exec: MSG_CMSG_CLOEXEC); undef at the end (the server is gone).
my @passed;
sub receive {
    my ($data, $control) = ("\0" x 65536, "\0" x 256);
    my $vector = pack('Q Q', unpack('Q', pack('p', $data)), 65536);
    my $header = pack('Q L x4 Q Q Q Q i x4', 0, 0, unpack('Q', pack('p', $vector)), 1, unpack('Q', pack('p', $control)), 256, 0);
    my $length = syscall(0 + $k{recvmsg}, fileno($server), $header, 0x40000000);
    return undef if $length <= 0;
    my $control_length = (unpack('Q L x4 Q Q Q Q', $header))[5];
    for (my $at = 0; $at + 16 <= $control_length;) {
        my ($size, $level, $type) = unpack('Q i i', substr($control, $at, 16));
        last if $size < 16;
        push @passed, unpack('i*', substr($control, $at + 16, $size - 16)) if $level == SOL_SOCKET && $type == $scm_rights;
        $at += ($size + 7) & ~7;
    }
    return substr($data, 0, $length);
}

# sendmsg(2) through syscall: one answer line, with a descriptor if given.
sub answer {
    my ($line, $descriptor) = @_;
    my $vector = pack('Q Q', unpack('Q', pack('p', $line)), length $line);
    my $control = defined $descriptor ? pack('Q i i i x4', 20, SOL_SOCKET, $scm_rights, $descriptor) : '';
    my $header = pack('Q L x4 Q Q Q Q i x4', 0, 0, unpack('Q', pack('p', $vector)), 1,
        length $control ? unpack('Q', pack('p', $control)) : 0, length $control, 0);
    syscall(0 + $k{sendmsg}, fileno($server), $header, 0) >= 0 or die "cannot answer the server: $!\n";
}

sub start {
    my ($run, $stdin, $stdout, $stderr, @arguments) = @_;
    my $pid = fork;
    if (!defined $pid) {
        my $error = 0 + $!;
        POSIX::close($_) for $stdin, $stdout, $stderr;
        answer("failed $error\n");
        return;
    }
    if ($pid == 0) {
        $SIG{CHLD} = 'DEFAULT';
        close $server;
        close $ended_read;
        close $ended_write;
        POSIX::dup2($stdin, 0) // POSIX::_exit(125);
        POSIX::dup2($stdout, 1) // POSIX::_exit(125);
        POSIX::dup2($stderr, 2) // POSIX::_exit(125);
        POSIX::close($_) for $stdin, $stdout, $stderr;
        @ARGV = @arguments;
        eval { $run->() }; # ends in exec, or exits saying why it could not start
        print STDERR "the sandbox did not start: $@";
        POSIX::_exit(125);
    }
    POSIX::close($_) for $stdin, $stdout, $stderr;
    # The child cannot have been reaped yet (only this loop reaps), so the pidfd is its own.
    my $pidfd = syscall(0 + $k{pidfd_open}, $pid, 0);
    answer("started $pid\n", $pidfd >= 0 ? $pidfd : undef);
    POSIX::close($pidfd) if $pidfd >= 0;
}

sub report_ended_children {
    sysread($ended_read, my $ignored, 4096);
    while ((my $pid = waitpid(-1, POSIX::WNOHANG())) > 0) {
        my $code = $? & 127 ? 128 + ($? & 127) : $? >> 8;
        answer("exited $pid $code\n");
    }
}

answer("ready\n");
my $pending = '';
while (1) {
    my $readable = '';
    vec($readable, fileno($server), 1) = 1;
    vec($readable, fileno($ended_read), 1) = 1;
    vec($readable, fileno(STDIN), 1) = 1;
    next if select($readable, undef, undef, undef) <= 0; # interrupted by SIGCHLD: look again
    report_ended_children() if vec($readable, fileno($ended_read), 1);
    exit 0 if vec($readable, fileno(STDIN), 1) && !sysread(STDIN, my $ignored, 1); # the server is gone
    next unless vec($readable, fileno($server), 1);
    my $received = receive() // exit 0; # the server is gone
    $pending .= $received;
    while ($pending =~ s/\A([^\n]*)\n//) {
        my ($verb, @arguments) = split /\0/, $1, -1;
        pop @arguments if @arguments && $arguments[-1] eq '';
        my $run = $verb eq 'start' ? $start_sandbox : $verb eq 'enter' ? $enter_tenant : undef;
        die "the server sent '$verb' with " . scalar(@passed) . " descriptors\n" unless $run && @passed >= 3;
        start($run, splice(@passed, 0, 3), @arguments);
    }
}
