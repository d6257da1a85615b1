# A VM network's set-up, in the network namespace it is called in: its loopback, addresses,
# routes and rule through rtnetlink (what five runs of ip(8) did) and its firewall through
# netfilter's netlink (what nft(8) did), with no program run. The server puts this before
# namespace-helper.pl, which calls set_up_vm_network for each VM network, as root and without.
# It loads no module and dies saying what it could not do; the fast test tier compiles it with
# strict and warnings.

# rtnetlink: one request at a time, each acknowledged by the kernel, or dies with its error.
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
    defined send($socket, $message, 0) or die "cannot $what: $!\n";
    defined recv($socket, my $answer, 4096, 0) or die "cannot $what: $!\n";
    my ($answer_type, $error) = (unpack('L S S L L l', $answer))[1, 5];
    $answer_type == 2 or die "cannot $what (the kernel answered $answer_type)\n";
    return if $error == 0;
    $! = -$error;
    die "cannot $what: $!\n";
}

# The network's addresses and routes, as "ip" would set them: the loopback up, with 127.0.0.2 for
# glibc's AI_ADDRCONFIG (which counts only IPv4 addresses other than 127.0.0.1 as a network);
# every other address routed to it; datagrams marked $mark looked up in table $table, which
# takes every address back into the namespace, for TPROXY.
sub set_addresses_and_routes {
    my ($mark, $table_number) = @_;
    my ($inet, $loopback, $main_table, $scope_link, $scope_host, $unicast, $local, $boot, $to_table) = (2, 1, 254, 253, 254, 1, 2, 3, 1);
    my ($new_link, $new_address, $new_route, $new_rule) = (16, 20, 24, 32);
    my ($address, $local_address, $output_interface, $preferred_source, $fwmark, $table) = (1, 2, 4, 7, 10, 15);
    socket(my $netlink, 16, 3, 0) or die "cannot open a netlink socket: $!\n"; # AF_NETLINK, SOCK_RAW, NETLINK_ROUTE
    ask_kernel($netlink, 'bring the loopback up', $new_link, 0, pack('C C S l L L', 0, 0, 0, $loopback, 1, 1));
    ask_kernel($netlink, 'add 127.0.0.2', $new_address, $create | $exclusive,
        pack('C C C C L', $inet, 8, 0, $scope_host, $loopback)
        . netlink_attribute($local_address, pack('C4', 127, 0, 0, 2)) . netlink_attribute($address, pack('C4', 127, 0, 0, 2)));
    ask_kernel($netlink, 'route every address to the loopback', $new_route, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $main_table, $boot, $scope_link, $unicast, 0)
        . netlink_attribute($output_interface, pack('L', $loopback)) . netlink_attribute($preferred_source, pack('C4', 127, 0, 0, 1)));
    ask_kernel($netlink, 'add the rule for marked datagrams', $new_rule, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $table_number, 0, 0, $to_table, 0)
        . netlink_attribute($fwmark, pack('L', $mark)) . netlink_attribute($table, pack('L', $table_number)));
    ask_kernel($netlink, 'route marked datagrams back into the namespace', $new_route, $create | $exclusive,
        pack('C C C C C C C C L', $inet, 0, 0, 0, $table_number, $boot, $scope_host, $local, 0)
        . netlink_attribute($output_interface, pack('L', $loopback)) . netlink_attribute($table, pack('L', $table_number)));
    close $netlink;
}

# nf_tables through netfilter's netlink: the VM network's firewall in one batch, as "nft -f" would
# load it (as "nft list ruleset" then prints both; VmFirewallTests compares them):
#   table ip arker {
#     chain steer { type nat hook output priority -100; policy accept;
#       ip daddr 127.0.0.0/8 return
#       udp dport 53 redirect to :DNS
#       meta l4proto tcp redirect to :TCP }
#     chain mark_datagrams { type route hook output priority mangle; policy accept;
#       ip daddr != 127.0.0.0/8 udp dport != 53 meta mark set MARK }
#     chain divert_datagrams { type filter hook prerouting priority mangle; policy accept;
#       meta l4proto udp meta mark MARK tproxy to 127.0.0.1:UDP }
#     chain refuse_others { type filter hook output priority filter; policy accept;
#       ct status dnat accept
#       meta mark MARK accept
#       ip daddr != 127.0.0.0/8 reject with icmp type admin-prohibited } }
# Outbound TCP and DNS go to the gateway's ports, other datagrams are marked and diverted to its
# datagram socket by TPROXY (which keeps their destination for it), anything else is refused.


sub nested { my $type = shift; return netlink_attribute(0x8000 | $type, join("", @_)) } # NLA_F_NESTED
sub be32 { return pack('N', $_[0]) }
sub expression { my ($name, @data) = @_; return nested(1, netlink_attribute(1, "$name\0"), nested(2, @data)) } # NFTA_LIST_ELEM: NFTA_EXPR_NAME, NFTA_EXPR_DATA
sub value { my ($type, $data) = @_; return nested($type, netlink_attribute(1, $data)) } # an expression's data: NFTA_DATA_VALUE
sub load_payload { my ($base, $offset, $length) = @_; return expression('payload', netlink_attribute(1, be32(1)), netlink_attribute(2, be32($base)), netlink_attribute(3, be32($offset)), netlink_attribute(4, be32($length))) }
sub load_meta { return expression('meta', netlink_attribute(1, be32(1)), netlink_attribute(2, be32($_[0]))) }
sub compare { my ($operation, $data) = @_; return expression('cmp', netlink_attribute(1, be32(1)), netlink_attribute(2, be32($operation)), value(3, $data)) }
sub immediate { my ($register, $data) = @_; return expression('immediate', netlink_attribute(1, be32($register)), value(2, $data)) }
sub verdict { return expression('immediate', netlink_attribute(1, be32(0)), nested(2, nested(2, netlink_attribute(1, be32($_[0]))))) } # NFTA_DATA_VERDICT: NFTA_VERDICT_CODE

sub load_firewall_rules {
    my ($tcp, $dns, $udp, $mark) = @_;
    my ($ipv4, $network_header, $transport_header, $equal, $not_equal) = (2, 1, 2, 0, 1);
    my ($meta_mark, $meta_l4proto, $ct_status, $status_dnat, $accept, $return) = (3, 16, 2, 0x20, 1, -5);
    my ($new_table, $new_chain, $new_rule, $batch_begin, $batch_end) = ((10 << 8) | 0, (10 << 8) | 3, (10 << 8) | 6, 16, 17);
    my ($append, $output, $prerouting) = (0x800, 3, 0);
    my $destination_is_loopback = load_payload($network_header, 16, 1);  # the first byte of the destination: 127
    my $datagram = load_meta($meta_l4proto) . compare($equal, pack('C', 17));
    my $destination_port = load_payload($transport_header, 2, 2);
    my $table = netlink_attribute(1, "arker\0");
    my @messages = (
        [$new_table, $create, $table],
        map({ my ($name, $type, $hook, $priority) = @$_;
              [$new_chain, $create, $table . netlink_attribute(3, "$name\0") . nested(4, netlink_attribute(1, be32($hook)), netlink_attribute(2, be32($priority & 0xffffffff)))
                  . netlink_attribute(5, be32($accept)) . netlink_attribute(7, "$type\0")] }
            ['steer', 'nat', $output, -100], ['mark_datagrams', 'route', $output, -150],
            ['divert_datagrams', 'filter', $prerouting, -150], ['refuse_others', 'filter', $output, 0]),
        map({ my ($chain, @expressions) = @$_;
              [$new_rule, $create | $append, $table . netlink_attribute(2, "$chain\0") . nested(4, @expressions)] }
            ['steer', $destination_is_loopback, compare($equal, pack('C', 127)), verdict($return)],
            ['steer', $datagram, $destination_port, compare($equal, pack('n', 53)), immediate(1, pack('n', $dns)),
                expression('redir', netlink_attribute(1, be32(1)), netlink_attribute(3, be32(2)))],     # proto_min reg 1, NF_NAT_RANGE_PROTO_SPECIFIED
            ['steer', load_meta($meta_l4proto), compare($equal, pack('C', 6)), immediate(1, pack('n', $tcp)),
                expression('redir', netlink_attribute(1, be32(1)), netlink_attribute(3, be32(2)))],
            ['mark_datagrams', $destination_is_loopback, compare($not_equal, pack('C', 127)), $datagram, $destination_port,
                compare($not_equal, pack('n', 53)), immediate(1, pack('L', $mark)),
                expression('meta', netlink_attribute(2, be32($meta_mark)), netlink_attribute(3, be32(1)))],  # meta set mark with reg 1
            ['divert_datagrams', $datagram, load_meta($meta_mark), compare($equal, pack('L', $mark)),
                immediate(1, pack('C4', 127, 0, 0, 1)), immediate(2, pack('n', $udp)),
                expression('tproxy', netlink_attribute(1, be32($ipv4)), netlink_attribute(2, be32(1)), netlink_attribute(3, be32(2)))],
            ['refuse_others', expression('ct', netlink_attribute(1, be32(1)), netlink_attribute(2, be32($ct_status))),
                expression('bitwise', netlink_attribute(1, be32(1)), netlink_attribute(2, be32(1)), netlink_attribute(3, be32(4)),
                    value(4, pack('L', $status_dnat)), value(5, pack('L', 0))),
                compare($not_equal, pack('L', 0)), verdict($accept)],
            ['refuse_others', load_meta($meta_mark), compare($equal, pack('L', $mark)), verdict($accept)],
            ['refuse_others', $destination_is_loopback, compare($not_equal, pack('C', 127)),
                expression('reject', netlink_attribute(1, be32(0)), netlink_attribute(2, pack('C', 13)))]), # ICMP unreachable, admin-prohibited
    );
    my $first = $netlink_sequence + 1;
    my $batch = pack('L S S L L C C n', 20, $batch_begin, $request, ++$netlink_sequence, 0, 0, 0, 10); # res_id: NFNL_SUBSYS_NFTABLES
    for my $message (@messages) {
        my ($type, $flags, $body) = @$message;
        $batch .= pack('L S S L L C C n', 20 + length $body, $type, $request | $acknowledge | $flags, ++$netlink_sequence, 0, $ipv4, 0, 0) . $body;
    }
    $batch .= pack('L S S L L C C n', 20, $batch_end, $request, ++$netlink_sequence, 0, 0, 0, 10);
    socket(my $netfilter, 16, 3, 12) or die "cannot open a netfilter netlink socket: $!\n"; # AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER
    defined send($netfilter, $batch, 0) or die "cannot load the firewall rules: $!\n";
    my $acknowledged = 0;
    while ($acknowledged < @messages) {
        defined recv($netfilter, my $answers, 65536, 0) or die "cannot load the firewall rules: $!\n";
        while (length $answers >= 20) {
            my ($length, $type, $flags, $sequence, $pid, $error) = unpack('L S S L L l', $answers);
            substr($answers, 0, $length < 16 ? length $answers : ($length + 3) & ~3) = '';
            next unless $type == 2; # NLMSG_ERROR: an acknowledgement (0) or an error
            if ($error != 0) {
                $! = -$error;
                die 'cannot load the firewall rules (message ' . ($sequence - $first) . " of the batch): $!\n";
            }
            $acknowledged++;
        }
    }
    close $netfilter;
}

# The whole set-up: $mark and $table_number for datagrams (TPROXY), the gateway's ports.
sub set_up_vm_network {
    my ($mark, $table_number, $tcp, $dns, $udp) = @_;
    set_addresses_and_routes($mark, $table_number);
    load_firewall_rules($tcp, $dns, $udp, $mark);
}
