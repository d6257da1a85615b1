# Becomes a session's sandbox inside a VM of its own root filesystem, with root inside. It starts as
# root of the VM's user namespace (whose ids 0-65535 map to an unused range of this machine's), in
# fresh mount, PID, IPC and UTS namespaces that unshare made; it is PID 1 of the PID namespace.
# It mounts /proc and a minimal /dev over the VM's merged root, makes that root the root (the old
# one detached: nothing of this machine stays reachable), names the host, becomes the VM user
# (uid and gid 1000, no capabilities left; the bounding set stays, so sudo in the VM works), and
# runs the command after "--". Its arguments before "--" are name=value pairs: root, and the
# system call numbers of this machine (the server keeps them in one table).
use strict;
use warnings;

my %k;
while (@ARGV && $ARGV[0] ne '--') {
    my ($name, $value) = split /=/, shift(@ARGV), 2;
    $k{$name} = $value;
}
shift @ARGV;
my $root = $k{root};
my ($read_only, $no_suid, $no_dev, $no_exec, $bind, $recursive) = (1, 2, 4, 8, 4096, 16384);

sub fail { print STDERR "the VM's sandbox could not start: $_[0]: $!\n"; exit 125; }

sub mount_at {
    my ($source, $target, $type, $flags, $data) = @_;
    $data //= ''; # syscall needs a string it may write to, not a constant
    syscall($k{mount}, $source, $target, $type, 0 + $flags, $data) == 0 or fail("mount $target");
}

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
syscall($k{setgroups}, 0, 0) == 0 or fail('clear the supplementary groups');
syscall($k{setresgid}, 1000, 1000, 1000) == 0 or fail('become group 1000');
syscall($k{setresuid}, 1000, 1000, 1000) == 0 or fail('become user 1000');
# A change of user clears the parent-death signal unshare set: set it again, so this PID namespace
# (and every process in it) ends with unshare, which the server kills to end the session.
syscall($k{prctl}, 1, 9) == 0 or fail('set the parent-death signal'); # PR_SET_PDEATHSIG, SIGKILL
chdir '/home/user' or chdir '/';
exec { $ARGV[0] } @ARGV or fail("run $ARGV[0]");
