//! At least sixty hostile inputs the target policy must refuse, each with
//! the words its reason must contain; names that resolve to blocked
//! addresses through the lab DNS are in `tests/policy_dns.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use nis2_scanner::policy::{PolicyOptions, parse_host};

fn refused(input: &str, want: &str) {
    let err = match parse_host(input, &PolicyOptions::default()) {
        Ok(host) => panic!("{input:?} was accepted as {host:?}"),
        Err(e) => e.to_string(),
    };
    assert!(
        err.contains(want),
        "{input:?}: reason {err:?} does not say {want:?}"
    );
}

#[test]
fn empty() {
    refused("", "empty");
}

#[test]
fn only_spaces() {
    refused("   ", "empty");
}

#[test]
fn loopback_v4() {
    refused(
        "127.0.0.1",
        "127.0.0.1 is a loopback address; scanning private addresses is not allowed",
    );
}

#[test]
fn loopback_v4_other() {
    refused("127.1.2.3", "loopback");
}

#[test]
fn rfc1918_10() {
    refused("10.0.0.1", "private (RFC 1918)");
}

#[test]
fn rfc1918_172() {
    refused("172.16.5.4", "private (RFC 1918)");
}

#[test]
fn rfc1918_172_top() {
    refused("172.31.255.254", "private (RFC 1918)");
}

#[test]
fn rfc1918_192() {
    refused("192.168.0.1", "private (RFC 1918)");
}

#[test]
fn link_local_metadata() {
    refused("169.254.169.254", "link-local");
}

#[test]
fn cgnat() {
    refused("100.64.0.1", "carrier-grade NAT");
}

#[test]
fn cgnat_top() {
    refused("100.127.255.254", "carrier-grade NAT");
}

#[test]
fn multicast_v4() {
    refused(
        "224.0.0.251",
        "multicast address, which can never be scanned",
    );
}

#[test]
fn reserved_240() {
    refused("240.0.0.1", "reserved");
}

#[test]
fn broadcast() {
    refused("255.255.255.255", "broadcast");
}

#[test]
fn this_network() {
    refused("0.0.0.0", "unspecified");
}

#[test]
fn this_network_8() {
    refused("0.1.2.3", "this network");
}

#[test]
fn documentation_v4() {
    refused("192.0.2.10", "documentation");
}

#[test]
fn documentation_v4_2() {
    refused("198.51.100.10", "documentation");
}

#[test]
fn documentation_v4_3() {
    refused("203.0.113.10", "documentation");
}

#[test]
fn benchmarking_v4() {
    refused("198.18.0.1", "benchmarking");
}

#[test]
fn ietf_192_0_0() {
    refused("192.0.0.1", "IETF protocol");
}

#[test]
fn v6_loopback() {
    refused("::1", "loopback");
}

#[test]
fn v6_loopback_bracketed() {
    refused("[::1]", "loopback");
}

#[test]
fn v6_unspecified() {
    refused("::", "unspecified");
}

#[test]
fn v6_ula() {
    refused("fd00::1", "unique local");
}

#[test]
fn v6_ula_fc() {
    refused("[fc00::abcd]", "unique local");
}

#[test]
fn v6_link_local() {
    refused("fe80::1", "link-local");
}

#[test]
fn v6_link_local_zone() {
    refused("fe80::1%eth0", "'%'");
}

#[test]
fn v6_multicast() {
    refused("ff02::1", "multicast");
}

#[test]
fn v6_site_local() {
    refused("fec0::1", "site-local");
}

#[test]
fn v6_mapped_loopback() {
    refused("::ffff:127.0.0.1", "embeds 127.0.0.1, a loopback address");
}

#[test]
fn v6_mapped_private_hex() {
    refused("::ffff:a00:1", "embeds 10.0.0.1, a private");
}

#[test]
fn v6_mapped_metadata() {
    refused(
        "[::ffff:169.254.169.254]",
        "embeds 169.254.169.254, a link-local",
    );
}

#[test]
fn v6_siit_loopback() {
    refused("::ffff:0:7f00:1", "embeds 127.0.0.1");
}

#[test]
fn v6_compatible() {
    refused(
        "::127.0.0.1",
        "::7f00:1 embeds 127.0.0.1, a loopback address",
    );
}

#[test]
fn v6_compatible_public() {
    refused("::8.8.8.8", "IPv4-compatible");
}

#[test]
fn v6_nat64_local_use_private() {
    refused(
        "64:ff9b:1::10.1.2.3",
        "embeds 10.1.2.3, a private (RFC 1918) address",
    );
}

#[test]
fn v6_nat64_metadata() {
    refused(
        "[64:ff9b::169.254.169.254]",
        "embeds 169.254.169.254, a link-local",
    );
}

#[test]
fn v6_6to4_loopback() {
    refused("2002:7f00:0001::", "embeds 127.0.0.1, a loopback address");
}

#[test]
fn v6_mapped_cgnat() {
    refused(
        "::ffff:100.64.1.1",
        "embeds 100.64.1.1, a carrier-grade NAT",
    );
}

#[test]
fn v6_orchid() {
    refused("2001:10::1", "ORCHID");
}

#[test]
fn v6_benchmarking() {
    refused("2001:2::1", "benchmarking");
}

#[test]
fn octal_overflow_is_not_an_address() {
    // 0400 is 256 in octal: not an IPv4 spelling, and a numeric top label.
    refused("0400.0.0.1", "numeric");
}

#[test]
fn hex_ipv4_uppercase() {
    refused("0X7F.0.0.1", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn decimal_ipv4_trailing_dot() {
    refused("2130706433.", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn fullwidth_decimal_ipv4() {
    refused(
        "\u{ff12}\u{ff11}\u{ff13}\u{ff10}\u{ff17}\u{ff10}\u{ff16}\u{ff14}\u{ff13}\u{ff13}",
        "spells the IPv4 address 127.0.0.1",
    );
}

#[test]
fn idna_label_too_long_after_mapping() {
    // 63 characters of Unicode become more than 63 octets in A-label form.
    refused(&format!("{}.com", "ü".repeat(63)), "the limit is 63");
}

#[test]
fn userinfo_with_password() {
    refused("user:pass@example.com", "'@'");
}

#[test]
fn path_traversal() {
    refused("example.com/../../etc/passwd", "paths are not accepted");
}

#[test]
fn ipv6_zone_bracketed() {
    refused("[fe80::1%25eth0]", "not a valid bracketed IPv6 address");
}

#[test]
fn right_to_left_mark() {
    refused("example.com\u{200f}", "invisible character U+200F");
}

#[test]
fn tag_characters() {
    refused("exa\u{e0041}mple.com", "invisible");
}

#[test]
fn v6_nat64_loopback() {
    refused("64:ff9b::7f00:1", "embeds 127.0.0.1");
}

#[test]
fn v6_nat64_private() {
    refused("64:ff9b::192.168.1.1", "embeds 192.168.1.1");
}

#[test]
fn v6_nat64_local_use() {
    refused("64:ff9b:1::808:808", "local-use NAT64");
}

#[test]
fn v6_6to4_private() {
    refused("2002:c0a8:101::1", "embeds 192.168.1.1");
}

#[test]
fn v6_teredo() {
    refused("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo");
}

#[test]
fn v6_documentation() {
    refused("2001:db8::1", "documentation");
}

#[test]
fn v6_discard() {
    refused("100::1", "discard-only");
}

#[test]
fn v6_reserved() {
    refused("4000::1", "reserved");
}

#[test]
fn decimal_ipv4() {
    refused("2130706433", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn hex_short_ipv4() {
    refused("0x7f.1", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn octal_ipv4() {
    refused("017700000001", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn hex_whole_ipv4() {
    refused("0x7f000001", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn octal_dotted_ipv4() {
    refused("0177.0.0.01", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn short_dotted_ipv4() {
    refused("127.1", "spells the IPv4 address 127.0.0.1");
}

#[test]
fn metadata_decimal() {
    refused("2852039166", "spells the IPv4 address 169.254.169.254");
}

#[test]
fn private_hex_dotted() {
    refused("0xa.0.0.1", "spells the IPv4 address 10.0.0.1");
}

#[test]
fn ipv4_trailing_dot() {
    refused("127.0.0.1.", "loopback");
}

#[test]
fn fullwidth_digits_ip() {
    refused("\u{ff11}\u{ff12}\u{ff17}.0.0.1", "loopback");
}

#[test]
fn ideographic_dots_ip() {
    refused("127\u{3002}0\u{3002}0\u{3002}1", "loopback");
}

#[test]
fn fullwidth_dots_ip() {
    refused("127\u{ff0e}0\u{ff0e}0\u{ff0e}1", "loopback");
}

#[test]
fn numeric_tld() {
    refused("1.2.3.4.5", "numeric");
}

#[test]
fn scheme() {
    refused("https://example.com", "looks like a URL");
}

#[test]
fn scheme_ftp() {
    refused("ftp://example.com/", "looks like a URL");
}

#[test]
fn userinfo() {
    refused("user@example.com", "'@'");
}

#[test]
fn userinfo_smuggle() {
    refused("example.com@127.0.0.1", "'@'");
}

#[test]
fn port() {
    refused("example.com:8443", "ports are configured separately");
}

#[test]
fn bracketed_port() {
    refused("[::1]:443", "port");
}

#[test]
fn path() {
    refused("example.com/admin", "paths are not accepted");
}

#[test]
fn backslash_path() {
    refused("example.com\\@127.0.0.1", "'@'");
}

#[test]
fn query() {
    refused("example.com?x=1", "queries");
}

#[test]
fn fragment() {
    refused("example.com#frag", "fragments");
}

#[test]
fn percent_encoded() {
    refused("example%2ecom", "percent-encoding");
}

#[test]
fn fullwidth_slash() {
    refused("example.com\u{ff0f}admin", "not allowed in host names");
}

#[test]
fn fullwidth_colon_port() {
    refused("example.com\u{ff1a}8080", "not allowed in host names");
}

#[test]
fn newline_injection() {
    refused("example.com\nHost: evil", "control character");
}

#[test]
fn nul_byte() {
    refused("example.com\u{0}", "control character");
}

#[test]
fn tab_inside() {
    refused("exa\tmple.com", "control character");
}

#[test]
fn inner_space() {
    refused("exa mple.com", "whitespace");
}

#[test]
fn ideographic_space() {
    refused("example\u{3000}.com", "whitespace");
}

#[test]
fn zero_width_space() {
    refused("exa\u{200b}mple.com", "invisible character U+200B");
}

#[test]
fn soft_hyphen() {
    refused("exa\u{ad}mple.com", "invisible character U+00AD");
}

#[test]
fn bidi_override() {
    refused("\u{202e}example.com", "invisible character U+202E");
}

#[test]
fn bom() {
    refused("\u{feff}example.com", "invisible");
}

#[test]
fn double_trailing_dot() {
    refused("example.com..", "empty label");
}

#[test]
fn leading_dot() {
    refused(".example.com", "empty label");
}

#[test]
fn double_dot() {
    refused("example..com", "empty label");
}

#[test]
fn overlong_label() {
    refused(
        &format!("{}.com", "a".repeat(64)),
        "label of 64 characters; the limit is 63",
    );
}

#[test]
fn overlong_name() {
    refused(
        &format!(
            "{}.{}.{}.{}",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62)
        ),
        "the limit is 253",
    );
}

#[test]
fn huge_input() {
    refused(&"a.".repeat(600), "longer than 1024 bytes");
}

#[test]
fn leading_hyphen() {
    refused("-example.com", "starts or ends with '-'");
}

#[test]
fn trailing_hyphen() {
    refused("example-.com", "starts or ends with '-'");
}

#[test]
fn underscore() {
    refused("my_host.example.com", "not allowed in host names");
}

#[test]
fn wildcard() {
    refused("*.example.com", "wildcards");
}

#[test]
fn single_label() {
    refused("fileserver", "single-label");
}

#[test]
fn localhost() {
    refused("localhost", "special-use or private name");
}

#[test]
fn localhost_fullwidth() {
    refused(
        "\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}",
        "special-use or private name",
    );
}

#[test]
fn localhost_upper_dot() {
    refused("LOCALHOST.", "special-use or private name");
}

#[test]
fn sub_localhost() {
    refused("app.localhost", "special-use or private name");
}

#[test]
fn mdns_local() {
    refused("printer.local", "special-use or private name");
}

#[test]
fn internal() {
    refused("db.internal", "special-use or private name");
}

#[test]
fn home_arpa() {
    refused("router.home.arpa", "special-use or private name");
}

#[test]
fn reverse_zone() {
    refused("1.0.0.127.in-addr.arpa", "can never be scanned");
}

#[test]
fn onion() {
    refused("abcdefghijklmnop.onion", "can never be scanned");
}

#[test]
fn invalid_tld() {
    refused("host.invalid", "can never be scanned");
}

#[test]
fn confusable_cyrillic_o() {
    refused("g\u{43e}\u{43e}gle.com", "mixes Latin and Cyrillic");
}

#[test]
fn confusable_cyrillic_a() {
    refused("\u{430}pple.com", "mixes Cyrillic and Latin");
}

#[test]
fn confusable_greek_omicron() {
    refused("micr\u{3bf}soft.com", "mixes Latin and Greek");
}

#[test]
fn confusable_punycode() {
    refused("xn--pple-43d.com", "mixes Cyrillic and Latin");
}

#[test]
fn bad_punycode() {
    refused("xn--zz--.com", "IDNA");
}

#[test]
fn bracketed_ipv4() {
    refused("[127.0.0.1]", "not a valid bracketed IPv6 address");
}

#[test]
fn single_zero() {
    refused("0", "spells the IPv4 address 0.0.0.0");
}

#[test]
fn v6_long_form_loopback() {
    refused(
        "0000:0000:0000:0000:0000:0000:0000:0001",
        "::1 is a loopback address",
    );
}

#[test]
fn v6_mapped_hex_loopback() {
    refused("::ffff:7f00:1", "embeds 127.0.0.1");
}

#[test]
fn halfwidth_dots_ip() {
    refused(
        "127\u{ff61}0\u{ff61}0\u{ff61}1",
        "127.0.0.1 is a loopback address",
    );
}

#[test]
fn percent_encoded_ip() {
    refused("%31%32%37.0.0.1", "percent-encoding");
}

#[test]
fn public_ip_literal_is_not_a_domain() {
    refused("8.8.8.8", "IP literals are not allowed");
}

#[test]
fn public_v6_literal_is_not_a_domain() {
    refused("2606:4700::1111", "IP literals are not allowed");
}
