# A prototype of a sandbox's start as a tenant of kept namespaces, measured by `bench starter`
# and not used by the server: starter-prototype.pl, started in a PID, mount, IPC and UTS namespace
# made once (and kept), forks a child per start that runs this, instead of bubblewrap making
# namespaces for every sandbox. The child makes only a mount and an IPC namespace of its own (its
# mounts, and System V objects, go when its last process ends), puts the VM's root together there (the host's read-only folders,
# a /proc of the kept PID namespace, a /dev made once), enters it with chroot, becomes the VM
# user with no new privileges, and runs the command after "--" in its own place.
# The arguments before "--" are name=value pairs: root (the VM's merged root), bind (repeatable,
# a host folder seen read-only at the same path), dev (the prepared /dev), uid and gid, and the
# system call numbers (unshare, mount, chroot, setsid, setgroups, setresgid, setresuid, prctl).
# What it leaves out of a sandbox's isolation is in the README's notebook (bench starter).

our (%t, @binds);
while (@ARGV && $ARGV[0] ne '--') {
    my ($name, $value) = split /=/, shift(@ARGV), 2;
    if ($name eq 'bind') { push @binds, $value } else { $t{$name} = $value }
}
shift @ARGV;

sub refuse { print STDERR "cannot $_[0]: $!\n"; exit 125; }

my ($rdonly, $nosuid, $nodev, $noexec, $remount, $bind, $recursive, $private) = (1, 2, 4, 8, 32, 4096, 16384, 262144);
my ($none, $slash, $proc) = ('none', '/', 'proc'); # syscall takes strings it may write to, not constants
syscall(0 + $t{setsid});
syscall(0 + $t{unshare}, 0x20000 | 0x8000000) == 0 or refuse('make a mount and an IPC namespace'); # CLONE_NEWNS, CLONE_NEWIPC
syscall(0 + $t{mount}, $none, $slash, 0, $recursive | $private, 0) == 0 or refuse('make the mounts private');
my $root = $t{root};
for my $folder (@binds) {
    syscall(0 + $t{mount}, $folder, "$root$folder", 0, $bind | $recursive, 0) == 0 or refuse("bind $folder");
    syscall(0 + $t{mount}, $none, "$root$folder", 0, $remount | $bind | $rdonly | $nosuid | $nodev, 0) == 0 or refuse("make $folder read-only");
}
syscall(0 + $t{mount}, $proc, "$root/proc", $proc, $nosuid | $nodev | $noexec, 0) == 0 or refuse('mount /proc');
syscall(0 + $t{mount}, $t{dev}, "$root/dev", 0, $bind | $recursive, 0) == 0 or refuse('bind /dev');
syscall(0 + $t{chroot}, $root) == 0 or refuse("enter $root");
chdir('/home/user') or chdir('/') or refuse('enter the home folder');
syscall(0 + $t{setgroups}, 0, 0) == 0 or refuse('clear the supplementary groups');
syscall(0 + $t{setresgid}, 0 + $t{gid}, 0 + $t{gid}, 0 + $t{gid}) == 0 or refuse("become group $t{gid}");
syscall(0 + $t{setresuid}, 0 + $t{uid}, 0 + $t{uid}, 0 + $t{uid}) == 0 or refuse("become user $t{uid}");
syscall(0 + $t{prctl}, 38, 1, 0, 0, 0) == 0 or refuse('forbid new privileges'); # PR_SET_NO_NEW_PRIVS
exec { $ARGV[0] } @ARGV or refuse("run $ARGV[0]");
