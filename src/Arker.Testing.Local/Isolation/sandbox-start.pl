# Starts a child of the server where it belongs, with no program in between: a sandbox's
# bubblewrap, or the set-up of a VM network. It makes a session of its own (what setsid(1) did: a
# terminal's Ctrl-C reaches the test run, not the server's children), enters the namespaces it is
# given (what nsenter(1) did: the server's user and mount namespaces without root, a VM's network),
# joins the VM's cgroups (what a shell did), takes the sandbox's user (what setpriv(1) did, as
# root), and then either runs the command after "--" in its own place or, with network_setup=1,
# makes a VM network: a new network namespace, its loopback, addresses, routes and rule set
# through rtnetlink (what five runs of ip(8) did), then "ready" on stdout, and it becomes nft,
# which loads the rules the server writes to its stdin once it holds the namespace (nft in this
# process's place: a fork of Perl cost more than nft's own start). Each program it replaces cost
# a process start (1.5-2 ms on a small machine), at every fork of a VM.
# The arguments before "--" are name=value pairs: namespace (repeatable, "user:PATH",
# "mount:PATH", "network:PATH", entered in that order), cgroup (repeatable, a cgroup.procs file),
# uid and gid, network_setup with mark, table and nft, and the system call numbers of this
# machine (the server keeps them in one table). It runs at every sandbox's start, so it loads no
# module; the fast test tier compiles it with strict and warnings (VmInitScriptTests). What the
# subs below read is declared with "our", so the script can also be compiled once into a sub and
# called in forked children (bench/Arker.Testing.Bench/starter-prototype.pl), where a "my" they
# read would be bound once.

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

# rtnetlink: one request at a time, each acknowledged by the kernel or failed with its error.
our ($request, $acknowledge, $exclusive, $create) = (1, 4, 0x200, 0x400);
our $netlink_sequence = 0;

sub netlink_attribute {
    my ($type, $data) = @_;
    my $attribute = pack('S S', 4 + length $data, $type) . $data;
    return $attribute . "\0" x (-length($attribute) % 4);
}

sub ask_kernel {
    my ($socket, $what, $type, $flags, $body) = @_;
    my $message = pack('L S S L L', 16 + length $body, $type, $request | $acknowledge | $flags, ++$netlink_sequence, 0) . $body;
    defined send($socket, $message, 0) or fail($what);
    defined recv($socket, my $answer, 4096, 0) or fail($what);
    my ($answer_type, $error) = (unpack('L S S L L l', $answer))[1, 5];
    $answer_type == 2 or fail("$what (the kernel answered $answer_type)");
    return if $error == 0;
    $! = -$error;
    fail($what);
}

# The network's addresses and routes, as "ip" would set them: the loopback up, with 127.0.0.2 for
# glibc's AI_ADDRCONFIG (which counts only IPv4 addresses other than 127.0.0.1 as a network);
# every other address routed to it; datagrams marked $k{mark} looked up in table $k{table}, which
# takes every address back into the namespace, for TPROXY.
sub set_addresses_and_routes {
    my ($inet, $loopback, $main_table, $scope_link, $scope_host, $unicast, $local, $boot, $to_table) = (2, 1, 254, 253, 254, 1, 2, 3, 1);
    my ($new_link, $new_address, $new_route, $new_rule) = (16, 20, 24, 32);
    my ($address, $local_address, $output_interface, $preferred_source, $fwmark, $table) = (1, 2, 4, 7, 10, 15);
    socket(my $netlink, 16, 3, 0) or fail('open a netlink socket'); # AF_NETLINK, SOCK_RAW, NETLINK_ROUTE
    ask_kernel($netlink, 'bring the loopback up', $new_link, 0, pack('C C S l L L', 0, 0, 0, $loopback, 1, 1));
    ask_kernel($netlink, 'add 127.0.0.2', $new_address, $create | $exclusive,
        pack('C C C C L', $inet, 8, 0, $scope_host, $loopback)
        . netlink_attribute($local_address, pack('C4', 127, 0, 0, 2)) . netlink_attribute($address, pack('C4', 127, 0, 0, 2)));
    ask_kernel($netlink, 'route every address to the loopback', $new_route, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $main_table, $boot, $scope_link, $unicast, 0)
        . netlink_attribute($output_interface, pack('L', $loopback)) . netlink_attribute($preferred_source, pack('C4', 127, 0, 0, 1)));
    ask_kernel($netlink, 'add the rule for marked datagrams', $new_rule, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $k{table}, 0, 0, $to_table, 0)
        . netlink_attribute($fwmark, pack('L', $k{mark})) . netlink_attribute($table, pack('L', $k{table})));
    ask_kernel($netlink, 'route marked datagrams back into the namespace', $new_route, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $k{table}, $boot, $scope_host, $local, 0)
        . netlink_attribute($output_interface, pack('L', $loopback)) . netlink_attribute($table, pack('L', $k{table})));
    close $netlink;
}

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

if ($k{network_setup}) {
    syscall(0 + $k{unshare}, $namespace_flag{network}) == 0 or fail('make a network namespace');
    set_addresses_and_routes();
    syswrite(STDOUT, "ready\n"); # the namespace is made: the server holds it, then writes nft's rules to stdin
    exec { $k{nft} } $k{nft}, '-f', '-' or fail("run $k{nft}");
}

exec { $ARGV[0] } @ARGV or fail("run $ARGV[0]");
