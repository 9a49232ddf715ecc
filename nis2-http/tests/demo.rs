//! `POST /scan/demo`: no auth, not stored, public targets only, 2/min per IP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use common::*;
use nis2_scanner::ResolverOptions;
use nis2_scanner::lab::Lab;
use serde_json::{Value, json};

async fn lab_dns() -> Lab {
    Lab::builder()
        .targets(&[])
        .dns(|d| {
            d.zone("demo.nis2.test")
                .a("public.demo.nis2.test", Ipv4Addr::new(8, 8, 8, 8))
                .a("private.demo.nis2.test", Ipv4Addr::new(10, 1, 2, 3))
                .a("loop.demo.nis2.test", Ipv4Addr::new(127, 0, 0, 1))
                .a("cgnat.demo.nis2.test", Ipv4Addr::new(100, 64, 0, 1))
                .a("metadata.demo.nis2.test", Ipv4Addr::new(169, 254, 169, 254))
                .aaaa(
                    "mapped.demo.nis2.test",
                    "::ffff:192.168.0.1".parse::<Ipv6Addr>().unwrap(),
                )
                .aaaa("ula.demo.nis2.test", "fd00::1".parse::<Ipv6Addr>().unwrap())
                .a("rebind.demo.nis2.test", Ipv4Addr::new(8, 8, 4, 4))
                .a("rebind.demo.nis2.test", Ipv4Addr::new(192, 168, 1, 1))
                .cname("cname-private.demo.nis2.test", "private.demo.nis2.test")
        })
        .start()
        .await
        .unwrap()
}

async fn demo(
    base: &str,
    domain: &str,
    forwarded_for: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut rb = client()
        .post(format!("{base}/scan/demo"))
        .json(&json!({"domain": domain}));
    if let Some(ip) = forwarded_for {
        rb = rb.header("x-forwarded-for", ip);
    }
    let r = rb.send().await.unwrap();
    let s = r.status().as_u16();
    let h = r.headers().clone();
    (s, h, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_refuses_private_targets_and_scans_public_ones() {
    let lab = lab_dns().await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&dir.path().join("nis2.db"));
    cfg.resolver = ResolverOptions::default()
        .nameservers([lab.dns_addr()])
        .cache_size(0);
    // The test client is the trusted proxy, so each request can name its own client IP.
    cfg.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
    let srv = start_with(cfg, SampleScanner::default()).await;
    // The blocked-address tricks of the scanner's target-policy tests
    // (tests/policy_hostile.rs and tests/policy_dns.rs), and a few more.
    let tricks = [
        // Loopback, private, link-local, CGNAT, multicast, reserved, special.
        "localhost",
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "172.31.255.254",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "0.0.0.0",
        "0.1.2.3",
        "192.0.2.10",
        "198.51.100.10",
        "203.0.113.10",
        "198.18.0.1",
        "192.0.0.1",
        // IPv6 and its IPv4-embedding forms.
        "::1",
        "[::1]",
        "::",
        "fd00::1",
        "[fc00::abcd]",
        "fe80::1",
        "fe80::1%eth0",
        "ff02::1",
        "fec0::1",
        "::ffff:127.0.0.1",
        "[::ffff:127.0.0.1]",
        "::ffff:7f00:1",
        "::ffff:a00:1",
        "[::ffff:169.254.169.254]",
        "::ffff:0:7f00:1",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::192.168.1.1",
        "64:ff9b:1::1",
        "2002:c0a8:101::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
        "100::1",
        "4000::1",
        "0000:0000:0000:0000:0000:0000:0000:0001",
        // Other spellings of IPv4 addresses.
        "2130706433",
        "0x7f.1",
        "017700000001",
        "0x7f000001",
        "0177.0.0.01",
        "127.1",
        "2852039166",
        "0xa.0.0.1",
        "0",
        "127.0.0.1.",
        "[127.0.0.1]",
        "\u{ff11}\u{ff12}\u{ff17}.0.0.1",
        "127\u{3002}0\u{3002}0\u{3002}1",
        "127\u{ff0e}0\u{ff0e}0\u{ff0e}1",
        "127\u{ff61}0\u{ff61}0\u{ff61}1",
        "%31%32%37.0.0.1",
        "1.2.3.4.5",
        // Smuggling an address past the parser.
        "example.com@127.0.0.1",
        "example.com\\@127.0.0.1",
        "[::1]:443",
        "http://127.0.0.1/",
        "public.demo.nis2.test:22",
        // Public addresses are refused too: the demo takes domain names.
        "8.8.8.8",
        "2606:4700::1111",
        // Special-use and private names.
        "\u{ff4c}\u{ff4f}\u{ff43}\u{ff41}\u{ff4c}\u{ff48}\u{ff4f}\u{ff53}\u{ff54}",
        "LOCALHOST.",
        "app.localhost",
        "foo.localhost",
        "printer.local",
        "db.internal",
        "router.home.arpa",
        "1.0.0.127.in-addr.arpa",
        "abcdefghijklmnop.onion",
        "host.invalid",
        "fileserver",
        // Names that resolve to blocked addresses (the lab DNS).
        "private.demo.nis2.test",
        "loop.demo.nis2.test",
        "LOOP.Demo.Nis2.Test.",
        "cgnat.demo.nis2.test",
        "metadata.demo.nis2.test",
        "mapped.demo.nis2.test",
        "ula.demo.nis2.test",
        "rebind.demo.nis2.test",
        "cname-private.demo.nis2.test",
    ];
    for (i, t) in tricks.iter().enumerate() {
        let ip = format!("198.51.{}.{}", 100 + i / 200, i % 200 + 1);
        let (s, _, v) = demo(&srv.base, t, Some(&ip)).await;
        assert_eq!(s, 400, "{t}: {v}");
        let detail = assert_error_shape(&v);
        assert!(
            detail.contains("scanning private addresses is not allowed"),
            "{t}: {detail}"
        );
    }
    // Every name of the scanner's target-policy tests (served by the lab DNS).
    let mut seen = std::collections::HashSet::new();
    for (i, (label, _)) in nis2_scanner::lab::POLICY_NAMES.iter().enumerate() {
        if label.starts_with("public") || !seen.insert(*label) {
            continue;
        }
        let name = format!("{label}.{}", nis2_scanner::lab::LAB_ZONE);
        let (s, _, v) = demo(&srv.base, &name, Some(&format!("198.52.100.{}", 1 + i))).await;
        assert_eq!(s, 400, "{name}: {v}");
        assert!(
            assert_error_shape(&v).contains("scanning private addresses is not allowed"),
            "{name}: {v}"
        );
    }
    assert!(
        srv.scanner.calls.lock().unwrap().is_empty(),
        "no refused target reached the scanner"
    );

    // A public name is scanned, not stored.
    let (s, _, v) = demo(&srv.base, "Public.Demo.Nis2.Test", Some("203.0.113.9")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["domain"], "public.demo.nis2.test");
    assert_eq!(v["score"], 100);
    assert_eq!(v["grade"], "A");
    assert_eq!(v["stored"], false);
    assert!(v["score_data"]["nis2_mapping"].is_object());
    assert_eq!(
        *srv.scanner.calls.lock().unwrap(),
        vec!["public.demo.nis2.test".to_owned()]
    );
    assert_eq!(srv.state.store().pending_outbox_count().await.unwrap(), 0);

    // Third request in a minute from one IP: 429 with Retry-After.
    let (s, _, _) = demo(&srv.base, "public.demo.nis2.test", Some("203.0.113.9")).await;
    assert_eq!(s, 200);
    let (s, h, v) = demo(&srv.base, "public.demo.nis2.test", Some("203.0.113.9")).await;
    assert_eq!(s, 429);
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(
        assert_error_shape(&v),
        format!("Rate limit exceeded. Retry after {retry} seconds.")
    );
    // Another IP still may.
    let (s, _, _) = demo(&srv.base, "public.demo.nis2.test", Some("203.0.113.10")).await;
    assert_eq!(s, 200);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_ignored_without_a_trusted_proxy() {
    let srv = start().await;
    // Invalid targets still count: the limit is per request.
    for i in 0..2 {
        let (s, _, _) = demo(&srv.base, "localhost", Some(&format!("198.51.100.{i}"))).await;
        assert_eq!(s, 400);
    }
    let (s, h, v) = demo(&srv.base, "localhost", Some("198.51.100.77")).await;
    assert_eq!(
        s, 429,
        "a spoofed X-Forwarded-For must not reset the limit: {v}"
    );
    assert!(h.contains_key("retry-after"));
    assert_error_shape(&v);
    srv.stop().await;
}
