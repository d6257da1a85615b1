# Holds the local Arker server's user and mount namespaces (unshare made them and started this)
# and makes its mounts, which the server cannot make from outside them. One request per line on
# stdin, fields separated by NUL bytes:
#   M <source> <target> <fstype> <flags> <data>    mount(2)
#   U <target> <flags>                              umount2(2)
# Each is answered with one line: 0, or the errno. When stdin closes (the server stopped or died),
# this exits, and the namespaces and every mount in them go with it.
use strict;
use warnings;

my ($sys_mount, $sys_umount2) = @ARGV;
$| = 1;
print "ready\n";
while (my $line = <STDIN>) {
    chomp $line;
    my ($op, @fields) = split /\0/, $line, -1;
    my $result;
    if ($op eq 'M' && @fields == 5) {
        my ($source, $target, $type, $flags, $data) = @fields;
        $result = syscall($sys_mount, $source, $target, $type, 0 + $flags, $data);
    } elsif ($op eq 'U' && @fields == 2) {
        my ($target, $flags) = @fields;
        $result = syscall($sys_umount2, $target, 0 + $flags);
    } else {
        $result = -1;
        $! = 22;
    }
    print $result == 0 ? "0\n" : (0 + $!) . "\n";
}
