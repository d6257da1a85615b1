# Starts a session's sandbox in a VM of its own root filesystem, with root inside: what bubblewrap
# does for other VMs, without no_new_privs (which would stop sudo). Started by the server (as root,
# or without root in the server's user namespace, as its root) in the VM's network namespace (if
# it has one), it joins the VM's cgroups, and forks a child that makes a user namespace, whose maps
# this process, still root where it stands, writes: the VM's ids 0-65535 (map: one "inside outside
# count" range per comma), never this machine's root. The child, root of that namespace, makes
# mount, PID, IPC and UTS (and, without a VM network, network) namespaces owned by it, and forks
# PID 1 of the new PID namespace, which mounts /proc and a minimal /dev over the VM's merged root,
# makes that root the root (the old one detached: nothing of this machine stays reachable), names
# the host, becomes the VM user (uid and gid 1000, no capabilities left; the bounding set stays, so
# sudo in the VM works, to root of the VM's namespace and nothing above it), and runs the command
# after "--". Each process waits for its child, ends as it did, and dies with its parent: the
# server kills this one to end a session.
# With tool=1 it only runs the command as the VM's root in such a user namespace, where it stands:
# what unpacks a root filesystem with the VM's owners.
# The arguments before "--" are name=value pairs: root, map, cgroup (repeatable), own_network,
# tool, and the system call numbers of this machine (the server keeps them in one
# table). It runs at every session's start, so it loads no module: strict and warnings would double
# its start-up time. The fast test tier compiles it with both (VmInitScriptTests).

my (%k, @cgroups);
while (@ARGV && $ARGV[0] ne '--') {
    my ($name, $value) = split /=/, shift(@ARGV), 2;
    if ($name eq 'cgroup') { push @cgroups, $value } else { $k{$name} = $value }
}
shift @ARGV;
my $root = $k{root};
my ($no_suid, $no_dev, $no_exec, $bind, $recursive, $private) = (2, 4, 8, 4096, 16384, 262144);
my ($new_ns, $new_uts, $new_ipc, $new_user, $new_pid, $new_net) = (0x20000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000);
my ($set_parent_death_signal, $kill) = (1, 9);

sub fail { print STDERR "the VM's sandbox could not start: $_[0]: $!\n"; exit 125; }

sub mount_at {
    my ($source, $target, $type, $flags, $data) = @_;
    $data //= ''; # syscall needs strings it may write to, not constants
    syscall($k{mount}, $source, $target, $type, 0 + $flags, $data) == 0 or fail("mount $target");
}

sub die_with_parent { syscall($k{prctl}, $set_parent_death_signal, $kill) == 0 or fail('set the parent-death signal'); }

syscall($k{setsid}); # a session of its own, as every child of the server (fails only for a session's leader, which this then is)
die_with_parent();
for my $procs (@cgroups) {
    open(my $cgroup, '>>', $procs) or fail("join $procs");
    print $cgroup "$$\n" or fail("join $procs");
    close $cgroup or fail("join $procs");
}

pipe(my $unshared_read, my $unshared_write) or fail('pipe');
pipe(my $mapped_read, my $mapped_write) or fail('pipe');
my $inner = fork() // fail('fork');
if ($inner) {
    close $unshared_write;
    close $mapped_read;
    if (sysread($unshared_read, my $unshared, 1)) {
        for my $map ('uid_map', 'gid_map') {
            open(my $file, '>', "/proc/$inner/$map") or fail("open the VM's $map");
            print $file join('', map { "$_\n" } split /,/, $k{map}) or fail("write the VM's $map");
            close $file or fail("write the VM's $map");
        }
        syswrite($mapped_write, '1');
    }
    close $mapped_write;
    waitpid($inner, 0);
    exit($? & 127 ? 128 + ($? & 127) : $? >> 8);
}

close $unshared_read;
close $mapped_write;
die_with_parent();
syscall($k{unshare}, $new_user) == 0 or fail('make the user namespace');
syswrite($unshared_write, '1');
sysread($mapped_read, my $mapped, 1) or fail('wait for the user namespace maps');
syscall($k{setgroups}, 0, 0) == 0 or fail('clear the supplementary groups');
syscall($k{setresgid}, 0, 0, 0) == 0 or fail('become root of the VM');
syscall($k{setresuid}, 0, 0, 0) == 0 or fail('become root of the VM');
die_with_parent(); # after the change of user, which clears it
exec { $ARGV[0] } @ARGV or fail("run $ARGV[0]") if $k{tool};
syscall($k{unshare}, $new_ns | $new_pid | $new_ipc | $new_uts | ($k{own_network} ? $new_net : 0)) == 0 or fail('make the namespaces');
my ($none, $slash) = ('', '/');
syscall($k{mount}, $none, $slash, $none, $recursive | $private, $none) == 0 or fail('make the mounts private');

my $init = fork() // fail('fork');
if ($init) {
    # Waits for PID 1, which dies with this process, and ends as it did.
    waitpid($init, 0);
    exit($? & 127 ? 128 + ($? & 127) : $? >> 8);
}

die_with_parent();
mount_at($root, $root, '', $bind | $recursive);
mount_at('proc', "$root/proc", 'proc', $no_suid | $no_dev | $no_exec);
mount_at('arker-dev', "$root/dev", 'tmpfs', $no_suid | $no_exec, 'mode=0755,size=64k');
for my $device (qw(null zero full random urandom tty)) {
    open(my $node, '>', "$root/dev/$device") or fail("create /dev/$device");
    close $node;
    mount_at("/dev/$device", "$root/dev/$device", '', $bind);
}
mkdir "$root/dev/pts" or fail('create /dev/pts');
mkdir "$root/dev/shm" or fail('create /dev/shm');
mount_at('devpts', "$root/dev/pts", 'devpts', $no_suid | $no_exec, 'newinstance,ptmxmode=0666,mode=0620');
mount_at('shm', "$root/dev/shm", 'tmpfs', $no_suid | $no_dev, 'mode=1777');
symlink('pts/ptmx', "$root/dev/ptmx") or fail('link /dev/ptmx');
symlink('/proc/self/fd', "$root/dev/fd") or fail('link /dev/fd');
my @standard = qw(stdin stdout stderr);
for my $fd (0 .. 2) {
    symlink("/proc/self/fd/$fd", "$root/dev/$standard[$fd]") or fail("link /dev/$standard[$fd]");
}

chdir $root or fail("enter $root");
my ($new_root, $old_root, $detach) = ('.', '.', 2);
syscall($k{pivot_root}, $new_root, $old_root) == 0 or fail('pivot_root');
syscall($k{umount2}, $old_root, $detach) == 0 or fail("detach this machine's root");
chdir '/' or fail('enter /');

my $hostname = 'arker';
syscall($k{sethostname}, $hostname, length $hostname) == 0 or fail('set the host name');
syscall($k{setresgid}, 1000, 1000, 1000) == 0 or fail('become group 1000');
syscall($k{setresuid}, 1000, 1000, 1000) == 0 or fail('become user 1000');
die_with_parent(); # the change of user cleared it
chdir '/home/user' or chdir '/';
exec { $ARGV[0] } @ARGV or fail("run $ARGV[0]");
