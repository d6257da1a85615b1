# Starts a sandbox where it belongs, with no program in between its bubblewrap and the server:
# it makes a session of its own (what setsid(1) did: a terminal's Ctrl-C reaches the test run,
# not the server's children), enters the namespaces it is given (what nsenter(1) did: the
# server's user and mount namespaces without root, a VM's network), joins the VM's cgroups (what
# a shell did), takes the sandbox's user (what setpriv(1) did, as root), and then runs the command
# after "--" in its own place. Each program it replaces cost a process start (1.5-2 ms on a small
# machine, 4-8 ms on a slower one), at every fork of a VM.
# The arguments before "--" are name=value pairs: namespace (repeatable, "user:PATH",
# "mount:PATH", "network:PATH", entered in that order), cgroup (repeatable, a cgroup.procs file),
# uid and gid, and the system call numbers of this machine (the server keeps them in one table).
# It runs at every sandbox's start, so it loads no module; the fast test tier compiles it with
# strict and warnings (VmInitScriptTests). What its subs read is declared with "our", so the
# script can also be compiled once into a sub and called in forked children
# (bench/Arker.Testing.Bench/starter-prototype.pl), where a "my" they read would be bound once.

our (%k, @namespaces, @cgroups);
while (@ARGV && $ARGV[0] ne '--') {
    my ($name, $value) = split /=/, shift(@ARGV), 2;
    if ($name eq 'namespace') { push @namespaces, $value }
    elsif ($name eq 'cgroup') { push @cgroups, $value }
    else { $k{$name} = $value }
}
shift @ARGV;
my %namespace_flag = (user => 0x10000000, mount => 0x20000, network => 0x40000000);

sub fail { print STDERR "cannot $_[0]: $!\n"; exit 125; }

syscall(0 + $k{setsid}); # fails only for a session's leader, which this then is already

# Every namespace is opened before any is entered: the paths are this mount namespace's.
my @entering;
for my $entry (@namespaces) {
    my ($kind, $path) = split /:/, $entry, 2;
    open(my $handle, '<', $path) or fail("open the $kind namespace $path");
    push @entering, [$kind, $handle];
}

for my $namespace (@entering) {
    my ($kind, $handle) = @$namespace;
    syscall(0 + $k{setns}, fileno($handle), $namespace_flag{$kind}) == 0 or fail("enter the $kind namespace");
    close $handle;
}

for my $procs (@cgroups) {
    open(my $cgroup, '>>', $procs) or fail("join $procs");
    print $cgroup "$$\n" or fail("join $procs");
    close $cgroup or fail("join $procs");
}

if (defined $k{uid}) {
    syscall(0 + $k{setgroups}, 0, 0) == 0 or fail('clear the supplementary groups');
    syscall(0 + $k{setresgid}, 0 + $k{gid}, 0 + $k{gid}, 0 + $k{gid}) == 0 or fail("become group $k{gid}");
    syscall(0 + $k{setresuid}, 0 + $k{uid}, 0 + $k{uid}, 0 + $k{uid}) == 0 or fail("become user $k{uid}");
}

exec { $ARGV[0] } @ARGV or fail("run $ARGV[0]");
