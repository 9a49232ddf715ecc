//! The e-mail group: MX, SPF (with its include/redirect chain followed and
//! its DNS lookups counted), DMARC, DKIM at common selectors, MTA-STS (record
//! and policy file) and TLS-RPT.

use std::collections::HashSet;

use hickory_resolver::proto::rr::{RData, RecordType};
use nis2_core::observations::{
    CheckGroup, DkimKey, DmarcObservations, EmailObservations, MtaStsObservations, MxRecord,
    ObservationError, SpfObservations,
};
use nis2_core::parse::{dmarc, spf};

use crate::dns::{Dns, DnsFail};
use crate::http::Http;

/// DKIM selectors probed by default (common providers' and generic names).
pub const DEFAULT_DKIM_SELECTORS: &[&str] = &[
    "default",
    "google",
    "selector1",
    "selector2",
    "k1",
    "s1",
    "s2",
    "dkim",
    "mail",
];

/// DNS lookups followed at most while walking an SPF chain (the RFC 7208
/// limit is 10; walking on a little shows how far over a record is, and the
/// cap bounds what a hostile chain can cost).
pub(crate) const SPF_MAX_LOOKUPS: u32 = 30;
/// Include/redirect nesting followed at most.
pub(crate) const SPF_MAX_DEPTH: u32 = 10;

/// The DNS an SPF walk needs: TXT records, and whether a name has A or MX
/// records (for void-lookup counting). A trait so tests can feed hostile zones.
pub(crate) trait SpfDns {
    /// TXT records at `name`.
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFail>;
    /// Records of `rtype` (A or MX) at `name`: how many.
    async fn count(&self, name: &str, rtype: RecordType) -> Result<usize, DnsFail>;
}

impl SpfDns for Dns {
    async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFail> {
        Dns::txt(self, name).await
    }

    async fn count(&self, name: &str, rtype: RecordType) -> Result<usize, DnsFail> {
        self.records(name, rtype).await.map(|r| r.len())
    }
}

/// What walking an SPF chain found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SpfWalk {
    /// DNS-querying terms met (RFC 7208 §4.6.4).
    pub(crate) lookups: u32,
    /// Lookups that found nothing.
    pub(crate) voids: u32,
    /// Permanent problems (missing or duplicated included record, syntax, loop).
    pub(crate) errors: Vec<String>,
    /// Transient failures (timeouts, SERVFAIL): not the record's fault.
    pub(crate) failures: Vec<String>,
}

fn is_macro(domain: &str) -> bool {
    domain.contains('%')
}

/// Walks the SPF record `record` of `domain`: counts the terms that cost a
/// DNS lookup through every `include:` and `redirect=` (a `redirect` only
/// where there is no `all`, as it is then ignored), and the void lookups of
/// included names and explicit `a:`/`mx:` domains. Macro domains are not
/// expanded. A name met twice is not followed again (a loop, or a diamond
/// whose second branch is then not counted).
pub(crate) async fn walk_spf<D: SpfDns>(dns: &D, domain: &str, record: &str) -> SpfWalk {
    let mut walk = SpfWalk::default();
    let mut seen: HashSet<String> = HashSet::new();
    seen.insert(domain.trim_end_matches('.').to_ascii_lowercase());
    let mut stack: Vec<(String, String, u32)> = vec![(domain.to_owned(), record.to_owned(), 0)];
    'records: while let Some((name, text, depth)) = stack.pop() {
        let rec = match spf::parse(&text) {
            Ok(r) => r,
            Err(e) => {
                walk.errors.push(format!("SPF record at {name}: {e}"));
                continue;
            }
        };
        let mut follow: Vec<(String, &'static str)> = Vec::new();
        for (_, m) in &rec.directives {
            if !m.needs_lookup() {
                continue;
            }
            walk.lookups += 1;
            match m {
                spf::Mechanism::Include(d) => follow.push(((*d).to_owned(), "include")),
                spf::Mechanism::A(Some(d)) | spf::Mechanism::Mx(Some(d)) if !is_macro(d) => {
                    let rtype = if matches!(m, spf::Mechanism::A(_)) {
                        RecordType::A
                    } else {
                        RecordType::MX
                    };
                    match dns.count(d, rtype).await {
                        Ok(_) => {}
                        Err(f) if f.is_void() => walk.voids += 1,
                        Err(f) => walk.failures.push(f.describe()),
                    }
                }
                _ => {}
            }
        }
        if let Some(r) = rec.redirect
            && rec.all().is_none()
        {
            walk.lookups += 1;
            follow.push((r.to_owned(), "redirect"));
        }
        for (target, how) in follow {
            if walk.lookups > SPF_MAX_LOOKUPS {
                walk.errors
                    .push(format!("stopped after {SPF_MAX_LOOKUPS} DNS lookups"));
                break 'records;
            }
            if is_macro(&target) {
                continue;
            }
            if depth + 1 > SPF_MAX_DEPTH {
                walk.errors.push(format!(
                    "{how}:{target} nested deeper than {SPF_MAX_DEPTH} levels"
                ));
                continue;
            }
            if !seen.insert(target.trim_end_matches('.').to_ascii_lowercase()) {
                walk.errors.push(format!(
                    "{how}:{target} met twice (a loop or duplicate); not followed again"
                ));
                continue;
            }
            match dns.txt(&target).await {
                Ok(txts) => {
                    let mut spfs: Vec<String> =
                        txts.into_iter().filter(|t| spf::is_spf(t)).collect();
                    match spfs.len() {
                        0 => walk
                            .errors
                            .push(format!("{how}:{target} has no SPF record")),
                        1 => {
                            if let Some(t) = spfs.pop() {
                                stack.push((target, t, depth + 1));
                            }
                        }
                        n => walk
                            .errors
                            .push(format!("{how}:{target} has {n} SPF records")),
                    }
                }
                Err(f) if f.is_void() => {
                    walk.voids += 1;
                    walk.errors.push(format!(
                        "{how}:{target} has no SPF record ({})",
                        f.describe()
                    ));
                }
                Err(f) => walk.failures.push(f.describe()),
            }
        }
    }
    walk
}

/// The organisational domain (RFC 7489 §3.2): the registrable domain by
/// the Public Suffix List, one label below the public suffix. `None` when
/// `domain` is that domain already (nothing to fall back to) or has none
/// (a public suffix itself).
pub(crate) fn org_domain(domain: &str) -> Option<String> {
    let name = domain.trim_end_matches('.').to_ascii_lowercase();
    let org = psl::domain_str(&name)?;
    (org != name).then(|| org.to_owned())
}

fn dkim_looks_like_key(txt: &str) -> bool {
    let t = txt.trim_ascii();
    t.starts_with("v=DKIM1")
        || t.split(';').any(|f| {
            let f = f.trim_ascii();
            f.starts_with("p=") || f.starts_with("k=")
        })
}

/// The whole e-mail group for `domain`.
pub(crate) async fn observe(
    dns: &Dns,
    http: Option<&Http>,
    domain: &str,
    selectors: &[String],
) -> (EmailObservations, Vec<ObservationError>) {
    let mut errors = Vec::new();
    let err = |target: String, message: String| ObservationError {
        group: CheckGroup::Email,
        target,
        message,
    };
    let dmarc_name = format!("_dmarc.{domain}");
    let sts_name = format!("_mta-sts.{domain}");
    let rpt_name = format!("_smtp._tls.{domain}");
    let dkim = async {
        let lookups = selectors.iter().map(|s| {
            let name = format!("{s}._domainkey.{domain}");
            async move { (s.clone(), dns.txt(&name).await, name) }
        });
        futures_join_all(lookups).await
    };
    let (mx, txt, dmarc_txt, sts, rpt, dkim) = tokio::join!(
        dns.records(domain, RecordType::MX),
        dns.txt_or_empty(domain),
        dns.txt_or_empty(&dmarc_name),
        dns.txt_or_empty(&sts_name),
        dns.txt_or_empty(&rpt_name),
        dkim,
    );
    let mut obs = EmailObservations::default();
    match mx {
        Ok(data) => {
            let mut mx: Vec<MxRecord> = data
                .iter()
                .filter_map(|d| match d {
                    RData::MX(m) => {
                        let ex = m.exchange.to_ascii();
                        let ex = if ex == "." {
                            ex
                        } else {
                            ex.trim_end_matches('.').to_owned()
                        };
                        Some(MxRecord {
                            preference: m.preference,
                            exchange: ex,
                        })
                    }
                    _ => None,
                })
                .collect();
            mx.sort_by(|a, b| (a.preference, &a.exchange).cmp(&(b.preference, &b.exchange)));
            obs.mx = mx;
        }
        Err(f) if f.is_void() => {}
        Err(f) => errors.push(err(domain.to_owned(), format!("MX: {}", f.describe()))),
    }

    // SPF.
    match txt {
        Ok(txts) => {
            obs.spf.records = txts.into_iter().filter(|t| spf::is_spf(t)).collect();
            if let [one] = obs.spf.records.as_slice() {
                let w = walk_spf(dns, domain, one).await;
                obs.spf = SpfObservations {
                    records: obs.spf.records.clone(),
                    dns_lookups: Some(w.lookups),
                    void_lookups: Some(w.voids),
                    errors: w.errors,
                };
                errors.extend(
                    w.failures
                        .into_iter()
                        .map(|f| err(domain.to_owned(), format!("SPF: {f}"))),
                );
            }
        }
        Err(e) => errors.push(err(domain.to_owned(), format!("TXT: {e}"))),
    }

    // DMARC, with the organisational domain as fallback.
    match dmarc_txt {
        Ok(txts) => {
            let records: Vec<String> = txts.into_iter().filter(|t| dmarc::is_dmarc(t)).collect();
            obs.dmarc = DmarcObservations {
                name: dmarc_name.clone(),
                records,
            };
            if obs.dmarc.records.is_empty()
                && let Some(org) = org_domain(domain)
            {
                let org_name = format!("_dmarc.{org}");
                match dns.txt_or_empty(&org_name).await {
                    Ok(txts) => {
                        let records: Vec<String> =
                            txts.into_iter().filter(|t| dmarc::is_dmarc(t)).collect();
                        if !records.is_empty() {
                            obs.dmarc = DmarcObservations {
                                name: org_name,
                                records,
                            };
                        }
                    }
                    Err(e) => errors.push(err(org_name, e)),
                }
            }
        }
        Err(e) => errors.push(err(dmarc_name, e)),
    }

    // DKIM: found keys only.
    for (selector, r, name) in dkim {
        match r {
            Ok(txts) => {
                if let Some(record) = txts.into_iter().find(|t| dkim_looks_like_key(t)) {
                    obs.dkim.push(DkimKey { selector, record });
                }
            }
            Err(f) if f.is_void() => {}
            Err(f) => errors.push(err(name, f.describe())),
        }
    }

    // MTA-STS: the record, then the policy over HTTPS.
    match sts {
        Ok(txts) => {
            obs.mta_sts = MtaStsObservations {
                records: txts
                    .into_iter()
                    .filter(|t| t.trim_ascii_start().starts_with("v=STSv1"))
                    .collect(),
                policy: None,
            };
            if !obs.mta_sts.records.is_empty()
                && let Some(http) = http
            {
                let fetch = http.mta_sts_policy(domain).await;
                if let Some(e) = &fetch.error {
                    errors.push(err(fetch.url.clone(), format!("MTA-STS policy: {e}")));
                }
                obs.mta_sts.policy = Some(fetch);
            }
        }
        Err(e) => errors.push(err(sts_name, e)),
    }

    match rpt {
        Ok(txts) => {
            obs.tls_rpt = txts
                .into_iter()
                .filter(|t| t.trim_ascii_start().starts_with("v=TLSRPTv1"))
                .collect();
        }
        Err(e) => errors.push(err(rpt_name, e)),
    }
    (obs, errors)
}

/// Runs futures concurrently and returns their outputs in order.
pub(crate) async fn futures_join_all<F: std::future::Future>(
    futs: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    let mut slots: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    let mut pending: Vec<(usize, std::pin::Pin<Box<F>>)> = futs.into_iter().enumerate().collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|(i, f)| match f.as_mut().poll(cx) {
            std::task::Poll::Ready(v) => {
                slots[*i] = Some(v);
                false
            }
            std::task::Poll::Pending => true,
        });
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    use proptest::prelude::*;

    /// A zone in memory: TXT records by name; every name has one A and one MX
    /// record unless listed in `void`.
    #[derive(Default)]
    struct Zone {
        txt: HashMap<String, Vec<String>>,
        void: HashSet<String>,
        queries: std::sync::atomic::AtomicU32,
    }

    impl SpfDns for Zone {
        async fn txt(&self, name: &str) -> Result<Vec<String>, DnsFail> {
            self.queries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.txt.get(name).cloned().ok_or(DnsFail::NxDomain)
        }
        async fn count(&self, name: &str, _: RecordType) -> Result<usize, DnsFail> {
            self.queries
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if self.void.contains(name) {
                Err(DnsFail::NoData)
            } else {
                Ok(1)
            }
        }
    }

    fn zone(records: &[(&str, &str)]) -> Zone {
        let mut z = Zone::default();
        for (n, t) in records {
            z.txt
                .entry((*n).to_owned())
                .or_default()
                .push((*t).to_owned());
        }
        z
    }

    fn run<D: SpfDns>(dns: &D, domain: &str, record: &str) -> SpfWalk {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(walk_spf(dns, domain, record))
    }

    #[test]
    fn counts_lookups_through_includes_and_redirect() {
        let z = zone(&[
            ("_spf.a.test", "v=spf1 include:_spf2.a.test a mx -all"),
            (
                "_spf2.a.test",
                "v=spf1 ip4:192.0.2.0/24 exists:%{i}.x.test ~all",
            ),
            ("_r.a.test", "v=spf1 mx -all"),
        ]);
        let w = run(
            &z,
            "a.test",
            "v=spf1 include:_spf.a.test redirect=_r.a.test",
        );
        // include, include, a, mx, exists, redirect, mx.
        assert_eq!(w.lookups, 7);
        assert_eq!(w.voids, 0);
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        // redirect ignored when there is an `all`.
        let w = run(&z, "a.test", "v=spf1 mx -all redirect=_r.a.test");
        assert_eq!(w.lookups, 1);
    }

    #[test]
    fn eleven_lookups_and_voids_and_loops() {
        let mut recs = Vec::new();
        let mut top = String::from("v=spf1");
        let names: Vec<String> = (0..11).map(|i| format!("_s{i}.b.test")).collect();
        for n in &names {
            top.push_str(&format!(" include:{n}"));
            recs.push((n.as_str(), "v=spf1 ip4:192.0.2.1 -all"));
        }
        top.push_str(" -all");
        let z = zone(&recs);
        let w = run(&z, "b.test", &top);
        assert_eq!(w.lookups, 11);
        assert!(w.errors.is_empty());

        let z = zone(&[("_loop.c.test", "v=spf1 include:c.test -all")]);
        let w = run(&z, "c.test", "v=spf1 include:_loop.c.test -all");
        assert_eq!(w.lookups, 2);
        assert!(
            w.errors.iter().any(|e| e.contains("met twice")),
            "{:?}",
            w.errors
        );

        let mut z = zone(&[]);
        z.void.insert("gone.d.test".into());
        let w = run(
            &z,
            "d.test",
            "v=spf1 include:nx1.d.test include:nx2.d.test a:gone.d.test -all",
        );
        assert_eq!(w.voids, 3);
        assert_eq!(w.lookups, 3);
    }

    #[test]
    fn org_domain_rule() {
        assert_eq!(
            org_domain("a.b.example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            org_domain("www.example.com.").as_deref(),
            Some("example.com")
        );
        assert_eq!(org_domain("example.com"), None);
        assert_eq!(org_domain("com"), None);
        // Multi-label public suffixes: the Public Suffix List, not "last two labels".
        assert_eq!(
            org_domain("shop.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(org_domain("example.co.uk"), None);
        assert_eq!(org_domain("co.uk"), None);
        assert_eq!(
            org_domain("a.b.Example.COM.AU").as_deref(),
            Some("example.com.au")
        );
        // The lab's names (unlisted TLD `test`: the last two labels).
        assert_eq!(
            org_domain("shop.good-vendor.test").as_deref(),
            Some("good-vendor.test")
        );
        assert_eq!(org_domain("good-vendor.test"), None);
    }

    /// Hostile zones: random records that include each other, themselves,
    /// names with no record, several records, garbage. The walk must end,
    /// never count beyond its cap by more than one record's terms, and
    /// never query more than a bounded number of times.
    fn hostile_record() -> impl Strategy<Value = String> {
        let term = prop_oneof![
            (0u8..8).prop_map(|i| format!("include:n{i}.h.test")),
            (0u8..8).prop_map(|i| format!("redirect=n{i}.h.test")),
            (0u8..8).prop_map(|i| format!("a:n{i}.h.test")),
            (0u8..8).prop_map(|i| format!("mx:n{i}.h.test")),
            Just("exists:%{i}.h.test".to_owned()),
            Just("ptr".to_owned()),
            Just("-all".to_owned()),
            Just("+all".to_owned()),
            Just("ip4:300.1.1.1".to_owned()),
            "[ -~]{0,12}",
        ];
        proptest::collection::vec(term, 0..40).prop_map(|t| format!("v=spf1 {}", t.join(" ")))
    }

    proptest! {
        #[test]
        fn hostile_chains_end(recs in proptest::collection::vec((0u8..8, hostile_record()), 0..20), top in hostile_record()) {
            let mut z = Zone::default();
            for (i, r) in recs {
                z.txt.entry(format!("n{i}.h.test")).or_default().push(r);
            }
            for i in (0u8..8).step_by(3) {
                z.void.insert(format!("n{i}.h.test"));
            }
            let w = run(&z, "h.test", &top);
            // One record holds at most 40 terms.
            prop_assert!(w.lookups <= SPF_MAX_LOOKUPS + 41);
            // Every name is fetched at most once: 8 names, plus A/MX checks per term met.
            let q = z.queries.load(std::sync::atomic::Ordering::Relaxed);
            prop_assert!(q <= 8 + 40 * 9, "{} queries", q);
        }
    }
}
