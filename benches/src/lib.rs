//! Benchmarks live in `benches/`; this library holds the fixtures they share.

use nis2_core::Observations;
use nis2_core::Timestamp;
use nis2_core::samples::{flawless_vendor, weak_vendor};

/// A realistic observation set for `evaluate + assess`: the weak sample
/// vendor with its DNS, e-mail transport, sensitive paths and ports put
/// right — about 15 failing and 20 passing checks.
pub fn realistic(now: Timestamp) -> Observations {
    let good = flawless_vendor("vendor.example", now);
    let mut o = weak_vendor("vendor.example", now);
    o.dns = good.dns.clone();
    o.ports = good.ports.clone();
    if let (Some(e), Some(g)) = (o.email.as_mut(), good.email.as_ref()) {
        e.mta_sts = g.mta_sts.clone();
        e.tls_rpt = g.tls_rpt.clone();
    }
    if let (Some(h), Some(g)) = (o.http.as_mut(), good.http.as_ref()) {
        h.paths = g.paths.clone();
    }
    o
}
