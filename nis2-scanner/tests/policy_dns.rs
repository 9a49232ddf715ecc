//! The target policy against names served by the lab DNS: names that
//! resolve to blocked addresses are refused with the address and range in
//! the reason; public names pass; `allow_private` lifts the private ranges
//! but never multicast, broadcast or reserved ones.
#![cfg(feature = "lab")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers panic on purpose

use nis2_scanner::Error;
use nis2_scanner::lab::{Lab, LabDns, LabDnsBuilder};
use nis2_scanner::policy::{Host, PolicyOptions, ResolverOptions, TargetPolicy};

async fn dns() -> LabDns {
    // Only the DNS server: the policy never connects anywhere.
    LabDnsBuilder::new()
        .zone("lab.nis2.test")
        .a("loopback.lab.nis2.test", "127.0.0.1".parse().unwrap())
        .a("loopback2.lab.nis2.test", "127.3.2.1".parse().unwrap())
        .a("private10.lab.nis2.test", "10.0.0.1".parse().unwrap())
        .a("private172.lab.nis2.test", "172.16.0.1".parse().unwrap())
        .a("private192.lab.nis2.test", "192.168.1.1".parse().unwrap())
        .a(
            "linklocal.lab.nis2.test",
            "169.254.169.254".parse().unwrap(),
        )
        .a("cgnat.lab.nis2.test", "100.64.0.1".parse().unwrap())
        .a("zero.lab.nis2.test", "0.0.0.0".parse().unwrap())
        .a("multicast.lab.nis2.test", "224.0.0.1".parse().unwrap())
        .a(
            "broadcast.lab.nis2.test",
            "255.255.255.255".parse().unwrap(),
        )
        .a("reserved.lab.nis2.test", "240.0.0.1".parse().unwrap())
        .aaaa("v6loopback.lab.nis2.test", "::1".parse().unwrap())
        .aaaa("v6ula.lab.nis2.test", "fd00::1".parse().unwrap())
        .aaaa("v6linklocal.lab.nis2.test", "fe80::1".parse().unwrap())
        .aaaa(
            "v6mapped.lab.nis2.test",
            "::ffff:127.0.0.1".parse().unwrap(),
        )
        .aaaa("v6nat64.lab.nis2.test", "64:ff9b::a00:1".parse().unwrap())
        .aaaa("v66to4.lab.nis2.test", "2002:a00:1::1".parse().unwrap())
        .aaaa(
            "v6nat64local.lab.nis2.test",
            "64:ff9b:1::a9fe:a9fe".parse().unwrap(),
        )
        .aaaa("v6compat.lab.nis2.test", "::c0a8:101".parse().unwrap())
        .aaaa("v6siit.lab.nis2.test", "::ffff:0:a00:1".parse().unwrap())
        .a("mixed.lab.nis2.test", "192.0.43.10".parse().unwrap())
        .a("mixed.lab.nis2.test", "10.0.0.1".parse().unwrap())
        .a("public.lab.nis2.test", "192.0.43.10".parse().unwrap())
        .aaaa(
            "public6.lab.nis2.test",
            "2001:500:88:200::10".parse().unwrap(),
        )
        .cname("cname-private.lab.nis2.test", "private10.lab.nis2.test")
        .txt("txt-only.lab.nis2.test", "no address here")
        .start()
        .await
        .unwrap()
}

fn policy(dns: &LabDns, options: PolicyOptions) -> TargetPolicy {
    let resolver = ResolverOptions::default()
        .nameservers([dns.addr()])
        .cache_size(0);
    TargetPolicy::new(options, &resolver).unwrap()
}

async fn refused(p: &TargetPolicy, name: &str, want: &str) {
    match p.resolve(name).await {
        Err(Error::TargetRefused { target, reason }) => {
            assert!(
                reason.contains(want),
                "{name}: reason {reason:?} does not say {want:?}"
            );
            assert!(!target.is_empty());
        }
        other => panic!("{name}: expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolving_to_blocked_addresses_are_refused() {
    let dns = dns().await;
    let p = policy(&dns, PolicyOptions::default());
    let cases = [
        (
            "loopback.lab.nis2.test",
            "127.0.0.1 is a loopback address; scanning private addresses is not allowed",
        ),
        ("loopback2.lab.nis2.test", "127.3.2.1 is a loopback address"),
        (
            "private10.lab.nis2.test",
            "10.0.0.1 is a private (RFC 1918) address",
        ),
        (
            "private172.lab.nis2.test",
            "172.16.0.1 is a private (RFC 1918) address",
        ),
        (
            "private192.lab.nis2.test",
            "192.168.1.1 is a private (RFC 1918) address",
        ),
        (
            "linklocal.lab.nis2.test",
            "169.254.169.254 is a link-local address",
        ),
        (
            "cgnat.lab.nis2.test",
            "100.64.0.1 is a carrier-grade NAT shared address",
        ),
        (
            "zero.lab.nis2.test",
            "0.0.0.0 is an unspecified address, which can never be scanned",
        ),
        (
            "multicast.lab.nis2.test",
            "224.0.0.1 is a multicast address",
        ),
        (
            "broadcast.lab.nis2.test",
            "255.255.255.255 is the broadcast address",
        ),
        ("reserved.lab.nis2.test", "240.0.0.1 is a reserved address"),
        ("v6loopback.lab.nis2.test", "::1 is a loopback address"),
        ("v6ula.lab.nis2.test", "fd00::1 is a unique local address"),
        (
            "v6linklocal.lab.nis2.test",
            "fe80::1 is a link-local address",
        ),
        (
            "v6mapped.lab.nis2.test",
            "::ffff:127.0.0.1 embeds 127.0.0.1, a loopback address",
        ),
        (
            "v6nat64.lab.nis2.test",
            "64:ff9b::a00:1 embeds 10.0.0.1, a private (RFC 1918) address",
        ),
        ("v66to4.lab.nis2.test", "2002:a00:1::1 embeds 10.0.0.1"),
        (
            "v6nat64local.lab.nis2.test",
            "64:ff9b:1::a9fe:a9fe embeds 169.254.169.254, a link-local address",
        ),
        (
            "v6compat.lab.nis2.test",
            "::c0a8:101 embeds 192.168.1.1, a private (RFC 1918) address",
        ),
        ("v6siit.lab.nis2.test", "::ffff:0:a00:1 embeds 10.0.0.1"),
        (
            "mixed.lab.nis2.test",
            "10.0.0.1 is a private (RFC 1918) address",
        ),
        ("cname-private.lab.nis2.test", "10.0.0.1 is a private"),
        ("LOOPBACK.Lab.Nis2.Test.", "127.0.0.1 is a loopback address"),
    ];
    for (name, want) in cases {
        refused(&p, name, want).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_names_pass_and_unknown_names_do_not_resolve() {
    let dns = dns().await;
    let p = policy(&dns, PolicyOptions::default());
    let t = p.resolve("public.lab.nis2.test").await.unwrap();
    assert_eq!(t.host, Host::Domain("public.lab.nis2.test".into()));
    assert_eq!(
        t.addrs,
        vec!["192.0.43.10".parse::<std::net::IpAddr>().unwrap()]
    );
    assert_eq!(
        t.socket_addrs(8443),
        vec!["192.0.43.10:8443".parse().unwrap()]
    );
    let t6 = p.resolve("public6.lab.nis2.test.").await.unwrap();
    assert_eq!(
        t6.addrs,
        vec!["2001:500:88:200::10".parse::<std::net::IpAddr>().unwrap()]
    );

    match p.resolve("nope.lab.nis2.test").await {
        Err(Error::Resolution { domain, .. }) => assert_eq!(domain, "nope.lab.nis2.test"),
        other => panic!("expected a resolution error, got {other:?}"),
    }
    match p.resolve("txt-only.lab.nis2.test").await {
        Err(Error::Resolution { reason, .. }) => {
            assert!(reason.contains("no A or AAAA"), "{reason}")
        }
        other => panic!("expected a resolution error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_private_lifts_private_ranges_only() {
    let dns = dns().await;
    let p = policy(&dns, PolicyOptions::new().allow_private(true));
    for name in [
        "loopback.lab.nis2.test",
        "private10.lab.nis2.test",
        "v6ula.lab.nis2.test",
        "mixed.lab.nis2.test",
    ] {
        assert!(
            p.resolve(name).await.is_ok(),
            "{name} should pass with allow_private"
        );
    }
    refused(&p, "multicast.lab.nis2.test", "can never be scanned").await;
    refused(&p, "zero.lab.nis2.test", "can never be scanned").await;
    refused(&p, "broadcast.lab.nis2.test", "can never be scanned").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_lab_serves_its_names() {
    let lab = Lab::builder().targets(&[]).start().await.unwrap();
    let resolver = ResolverOptions::default()
        .nameservers([lab.dns_addr()])
        .cache_size(0);
    let strict = TargetPolicy::new(PolicyOptions::default(), &resolver).unwrap();
    refused(
        &strict,
        "good.lab.nis2.test",
        "127.0.0.10 is a loopback address",
    )
    .await;
    let open = TargetPolicy::new(PolicyOptions::new().allow_private(true), &resolver).unwrap();
    let t = open.resolve("good.lab.nis2.test").await.unwrap();
    assert_eq!(t.addrs, vec![nis2_scanner::lab::TargetKind::Good.ip()]);
}
