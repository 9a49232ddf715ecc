//! The lab: local TLS targets and an authoritative DNS server, for tests,
//! benchmarks and demonstrations (`lab` feature). Nothing here leaves the
//! loopback interface.
//!
//! [`Lab::start`] makes a PKI (an RSA-2048 root CA, an ECDSA P-384
//! intermediate, and one leaf per target), starts every [`TargetKind`] on
//! its own loopback address `127.0.0.x` with a free port, and serves the
//! zone `lab.nis2.test` with the targets' names plus names that resolve to
//! blocked addresses (for the target policy). Everything stops when the
//! [`Lab`] is dropped.
//!
//! Which server plays which target:
//! - rustls: good (TLS 1.2 + 1.3, ECDHE AEAD, chain leaf → intermediate,
//!   stapled OCSP "good"), expired, self-signed, wrong host, SHA-1-signed,
//!   revoked (stapled OCSP "revoked"), revoked-by-responder (no staple, an
//!   OCSP responder named in the leaf answers "revoked"), all TLS 1.2 + 1.3;
//! - `openssl s_server`: RSA-1024 (TLS 1.2 + 1.3) and legacy (TLS 1.0 + 1.1
//!   only, static RSA, NULL, anonymous and CBC suites with `@SECLEVEL=0`).
//!   This Debian openssl is built without RC4, DES and 3DES suites and
//!   without SSLv3, and its legacy provider cannot bring them back to
//!   libssl, so those live in the next target;
//! - a scripted hello-phase server ("ancient"): SSLv2, SSLv3 + TLS 1.0 with RC4,
//!   3DES, DES, EXPORT and static-RSA suites. It negotiates and sends its
//!   certificate like such a server, but cannot complete a handshake;
//! - misbehaving servers: silent, slow-loris, garbage, reset.

mod certs;
mod dns;
mod servers;
mod vendors;
mod web;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

pub use dns::{LabDns, LabDnsBuilder};
/// Whole lab vendors (DNS, HTTPS, HTTP, ports) for full scans.
pub use vendors::{EXPOSED_PORTS, LabVendor, LabVendors, VendorKind};

use crate::error::Error;
use certs::{Leaf, LeafSpec, Pki};
use servers::{Misbehaviour, Running, ScriptedConfig};

/// The lab's zone.
pub const LAB_ZONE: &str = "lab.nis2.test";

/// The first label of the lab's OCSP responder's name.
const OCSP_NAME: &str = "ocsp";

/// The kinds of lab targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum TargetKind {
    /// TLS 1.2 + 1.3, ECDHE AEAD suites, X25519MLKEM768 offered, trusted
    /// chain (leaf ECDSA P-256 → intermediate ECDSA P-384 → lab root), a
    /// stapled OCSP response saying "good".
    Good,
    /// Like good, but the leaf expired yesterday.
    Expired,
    /// A self-signed leaf.
    SelfSigned,
    /// A trusted leaf for another name (`unrelated.example.net`).
    WrongHost,
    /// A trusted leaf with an RSA-1024 key (openssl s_server, TLS 1.2 + 1.3).
    Rsa1024,
    /// A trusted-issuer leaf signed with `sha1WithRSAEncryption`.
    Sha1,
    /// TLS 1.0 + 1.1 only, static RSA, NULL, anonymous and CBC suites (openssl s_server).
    Legacy,
    /// SSLv2 + SSLv3 + TLS 1.0 with RC4, 3DES, DES, EXPORT suites (scripted hello phase).
    Ancient,
    /// Accepts connections and never answers.
    Silent,
    /// Answers one byte every 400 ms.
    SlowLoris,
    /// Answers with bytes that are not TLS.
    Garbage,
    /// Sends part of a ServerHello, then resets the connection.
    Reset,
    /// A trusted leaf whose stapled OCSP response says "revoked".
    Revoked,
    /// A trusted leaf (via the intermediate) that staples nothing and
    /// names an OCSP responder (`http://ocsp.lab.nis2.test:<port>/`, on the
    /// target's address) whose signed answer says "revoked".
    RevokedOcsp,
}

impl TargetKind {
    /// Every kind, in start order.
    pub const ALL: [TargetKind; 14] = [
        Self::Good,
        Self::Expired,
        Self::SelfSigned,
        Self::WrongHost,
        Self::Rsa1024,
        Self::Sha1,
        Self::Legacy,
        Self::Ancient,
        Self::Silent,
        Self::SlowLoris,
        Self::Garbage,
        Self::Reset,
        Self::Revoked,
        Self::RevokedOcsp,
    ];

    /// The first DNS label of the target's name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::Expired => "expired",
            Self::SelfSigned => "selfsigned",
            Self::WrongHost => "wronghost",
            Self::Rsa1024 => "rsa1024",
            Self::Sha1 => "sha1",
            Self::Legacy => "legacy",
            Self::Ancient => "ancient",
            Self::Silent => "silent",
            Self::SlowLoris => "slowloris",
            Self::Garbage => "garbage",
            Self::Reset => "reset",
            Self::Revoked => "revoked",
            Self::RevokedOcsp => "revokedocsp",
        }
    }

    /// The target's DNS name, e.g. `good.lab.nis2.test`.
    pub fn name(self) -> String {
        format!("{}.{LAB_ZONE}", self.label())
    }

    /// The loopback address the target listens on.
    pub fn ip(self) -> IpAddr {
        let i = Self::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8;
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + i))
    }
}

/// Names in the lab zone that resolve to addresses the target policy must
/// refuse (or, for `public`, accept), with what they resolve to.
pub const POLICY_NAMES: &[(&str, &str)] = &[
    ("loopback", "127.0.0.1"),
    ("loopback2", "127.3.2.1"),
    ("private10", "10.0.0.1"),
    ("private172", "172.16.0.1"),
    ("private192", "192.168.1.1"),
    ("linklocal", "169.254.169.254"),
    ("cgnat", "100.64.0.1"),
    ("zero", "0.0.0.0"),
    ("multicast", "224.0.0.1"),
    ("broadcast", "255.255.255.255"),
    ("reserved", "240.0.0.1"),
    ("v6loopback", "::1"),
    ("v6ula", "fd00::1"),
    ("v6linklocal", "fe80::1"),
    ("v6mapped", "::ffff:127.0.0.1"),
    ("v6nat64", "64:ff9b::a00:1"),
    ("v66to4", "2002:a00:1::1"),
    // A public address and a private one: the whole name must be refused.
    ("mixed", "192.0.43.10"),
    ("mixed", "10.0.0.1"),
    // Resolved only, never connected to.
    ("public", "192.0.43.10"),
    ("public6", "2001:500:88:200::10"),
];

/// One running lab target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabTarget {
    /// What it is.
    pub kind: TargetKind,
    /// Its DNS name in the lab zone.
    pub name: String,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// What to start.
#[derive(Debug, Clone)]
pub struct LabBuilder {
    kinds: Vec<TargetKind>,
    dns: LabDnsBuilder,
}

impl Default for LabBuilder {
    fn default() -> Self {
        Self {
            kinds: TargetKind::ALL.to_vec(),
            dns: LabDnsBuilder::new(),
        }
    }
}

impl LabBuilder {
    /// Only these targets (the DNS names of all others are still served).
    pub fn targets(mut self, kinds: &[TargetKind]) -> Self {
        self.kinds = kinds.to_vec();
        self
    }

    /// Adds zone data (other zones, MX, TXT, CAA, …) to the lab DNS.
    pub fn dns(mut self, f: impl FnOnce(LabDnsBuilder) -> LabDnsBuilder) -> Self {
        self.dns = f(self.dns);
        self
    }

    /// Starts the lab. Must be called inside a multi-threaded tokio runtime.
    pub async fn start(self) -> Result<Lab, Error> {
        Lab::start_with(self).await
    }
}

/// A running lab; everything stops when it is dropped.
#[derive(Debug)]
pub struct Lab {
    targets: Vec<LabTarget>,
    dns: LabDns,
    root_der: CertificateDer<'static>,
    root_pem: String,
    _running: Vec<Running>,
    // Removed after the servers (fields drop in order).
    _pki: Pki,
}

fn spec(
    kind: TargetKind,
    sans: Vec<String>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> LeafSpec<'static> {
    LeafSpec {
        file: kind.label(),
        cn: "",
        sans,
        not_before,
        not_after,
        ocsp_url: None,
    }
}

fn rustls_config(leaf: &Leaf) -> Result<Arc<ServerConfig>, Error> {
    rustls_config_stapled(leaf, Vec::new())
}

fn rustls_config_stapled(leaf: &Leaf, ocsp: Vec<u8>) -> Result<Arc<ServerConfig>, Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| Error::Lab {
            reason: format!("rustls versions: {e}"),
        })?
        .with_no_client_auth()
        .with_single_cert_with_ocsp(leaf.chain.clone(), leaf.key_der(), ocsp)
        .map_err(|e| Error::Lab {
            reason: format!("rustls server certificate: {e}"),
        })?;
    Ok(Arc::new(config))
}

impl Lab {
    /// Starts every target and the DNS server.
    pub async fn start() -> Result<Lab, Error> {
        Self::start_with(LabBuilder::default()).await
    }

    /// A builder to choose targets and add zone data.
    pub fn builder() -> LabBuilder {
        LabBuilder::default()
    }

    async fn start_with(builder: LabBuilder) -> Result<Lab, Error> {
        // Key generation and the openssl commands block: keep them off the reactor.
        let pki = tokio::task::spawn_blocking(Pki::new)
            .await
            .map_err(|e| Error::Lab {
                reason: format!("PKI task failed: {e}"),
            })??;
        let now = OffsetDateTime::now_utc();
        let (from, to) = (now - Duration::days(1), now + Duration::days(90));
        let mut running = Vec::new();
        let mut targets = Vec::new();
        for kind in &builder.kinds {
            let kind = *kind;
            let name = kind.name();
            let ip = kind.ip();
            let sans = vec![name.clone()];
            let addr = match kind {
                TargetKind::Good => {
                    let leaf = pki.leaf_via_intermediate(&LeafSpec {
                        cn: &name,
                        ..spec(kind, sans, from, to)
                    })?;
                    let ocsp = pki.ocsp_response(&leaf, true, false)?;
                    let config = rustls_config_stapled(&leaf, ocsp)?;
                    let (addr, r) = servers::rustls_server(ip, config).await?;
                    running.push(r);
                    addr
                }
                TargetKind::Revoked => {
                    let s = LeafSpec {
                        cn: &name,
                        ..spec(kind, sans, from, to)
                    };
                    let leaf = pki.leaf_from_root(&s, false)?;
                    let ocsp = pki.ocsp_response(&leaf, false, true)?;
                    let config = rustls_config_stapled(&leaf, ocsp)?;
                    let (addr, r) = servers::rustls_server(ip, config).await?;
                    running.push(r);
                    addr
                }
                TargetKind::RevokedOcsp => {
                    let responder =
                        tokio::net::TcpListener::bind((ip, 0))
                            .await
                            .map_err(|e| Error::Lab {
                                reason: format!("cannot bind the OCSP responder on {ip}: {e}"),
                            })?;
                    let port = responder
                        .local_addr()
                        .map_err(|e| Error::Lab {
                            reason: e.to_string(),
                        })?
                        .port();
                    let leaf = pki.leaf_via_intermediate(&LeafSpec {
                        cn: &name,
                        ocsp_url: Some(format!("http://{OCSP_NAME}.{LAB_ZONE}:{port}/")),
                        ..spec(kind, sans, from, to)
                    })?;
                    let answer = pki.ocsp_response(&leaf, true, true)?;
                    running.push(servers::ocsp_responder(responder, answer));
                    let (addr, r) = servers::rustls_server(ip, rustls_config(&leaf)?).await?;
                    running.push(r);
                    addr
                }
                TargetKind::Expired => {
                    let leaf = pki.leaf_from_root(
                        &LeafSpec {
                            cn: &name,
                            ..spec(
                                kind,
                                sans,
                                now - Duration::days(90),
                                now - Duration::days(1),
                            )
                        },
                        false,
                    )?;
                    let (addr, r) = servers::rustls_server(ip, rustls_config(&leaf)?).await?;
                    running.push(r);
                    addr
                }
                TargetKind::SelfSigned => {
                    let leaf = pki.self_signed(&LeafSpec {
                        cn: &name,
                        ..spec(kind, sans, from, to)
                    })?;
                    let (addr, r) = servers::rustls_server(ip, rustls_config(&leaf)?).await?;
                    running.push(r);
                    addr
                }
                TargetKind::WrongHost => {
                    let other = "unrelated.example.net".to_owned();
                    let leaf = pki.leaf_from_root(
                        &LeafSpec {
                            cn: &other,
                            ..spec(kind, vec![other.clone()], from, to)
                        },
                        false,
                    )?;
                    let (addr, r) = servers::rustls_server(ip, rustls_config(&leaf)?).await?;
                    running.push(r);
                    addr
                }
                TargetKind::Sha1 => {
                    let s = LeafSpec {
                        cn: &name,
                        ..spec(kind, sans, from, to)
                    };
                    let leaf = pki.openssl_leaf(&s, Some("rsa:2048"), "sha1")?;
                    let (addr, r) = servers::rustls_server(ip, rustls_config(&leaf)?).await?;
                    running.push(r);
                    addr
                }
                TargetKind::Rsa1024 => {
                    let s = LeafSpec {
                        cn: &name,
                        ..spec(kind, sans, from, to)
                    };
                    let leaf = pki.openssl_leaf(&s, Some("rsa:1024"), "sha256")?;
                    let (addr, r) = servers::openssl_server(
                        ip,
                        &leaf.cert_pem,
                        &leaf.key_pem,
                        &[
                            "-min_protocol",
                            "TLSv1.2",
                            "-cipher",
                            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:@SECLEVEL=0",
                        ],
                    )
                    .await?;
                    running.extend(r);
                    addr
                }
                TargetKind::Legacy => {
                    let leaf = pki.leaf_from_root(
                        &LeafSpec {
                            cn: &name,
                            ..spec(kind, sans, from, to)
                        },
                        true,
                    )?;
                    let (addr, r) = servers::openssl_server(
                        ip,
                        &leaf.cert_pem,
                        &leaf.key_pem,
                        &[
                            "-min_protocol",
                            "TLSv1",
                            "-max_protocol",
                            "TLSv1.1",
                            "-cipher",
                            "AES128-SHA:NULL-SHA:ADH-AES128-SHA:AECDH-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0",
                        ],
                    )
                    .await?;
                    running.extend(r);
                    addr
                }
                TargetKind::Ancient => {
                    let leaf = pki.leaf_from_root(
                        &LeafSpec {
                            cn: &name,
                            ..spec(kind, sans, from, to)
                        },
                        true,
                    )?;
                    let config = ScriptedConfig {
                        min_version: 0x0300,
                        max_version: 0x0301,
                        // RC4-SHA, RC4-MD5, DES-CBC3-SHA, EXP-RC4-MD5, DES-CBC-SHA, AES128-SHA.
                        suites: vec![0x0005, 0x0004, 0x000A, 0x0003, 0x0009, 0x002F],
                        chain: leaf.chain.iter().map(|c| c.to_vec()).collect(),
                        sslv2: true,
                    };
                    let (addr, r) = servers::scripted_server(ip, config).await?;
                    running.push(r);
                    addr
                }
                TargetKind::Silent
                | TargetKind::SlowLoris
                | TargetKind::Garbage
                | TargetKind::Reset => {
                    let how = match kind {
                        TargetKind::Silent => Misbehaviour::Silent,
                        TargetKind::SlowLoris => Misbehaviour::SlowLoris,
                        TargetKind::Garbage => Misbehaviour::Garbage,
                        _ => Misbehaviour::Reset,
                    };
                    let (addr, r) = servers::misbehaving_server(ip, how).await?;
                    running.push(r);
                    addr
                }
            };
            targets.push(LabTarget { kind, name, addr });
        }

        let mut dns = builder.dns.zone(LAB_ZONE);
        for kind in TargetKind::ALL {
            dns = dns.ip(&kind.name(), kind.ip());
        }
        dns = dns.ip(
            &format!("{OCSP_NAME}.{LAB_ZONE}"),
            TargetKind::RevokedOcsp.ip(),
        );
        for (label, ip) in POLICY_NAMES {
            let ip: IpAddr = ip.parse().map_err(|e| Error::Lab {
                reason: format!("bad lab address {ip}: {e}"),
            })?;
            dns = dns.ip(&format!("{label}.{LAB_ZONE}"), ip);
        }
        dns = dns
            .cname(
                &format!("cname-private.{LAB_ZONE}"),
                &format!("private10.{LAB_ZONE}"),
            )
            .txt(&format!("txt-only.{LAB_ZONE}"), "no address here");
        let dns = dns.start().await?;
        Ok(Lab {
            targets,
            dns,
            root_der: pki.root_der.clone(),
            root_pem: pki.root_pem.clone(),
            _running: running,
            _pki: pki,
        })
    }

    /// The running targets.
    pub fn targets(&self) -> &[LabTarget] {
        &self.targets
    }

    /// The target of a kind, if it was started.
    pub fn target(&self, kind: TargetKind) -> Option<&LabTarget> {
        self.targets.iter().find(|t| t.kind == kind)
    }

    /// The lab DNS server's address (UDP and TCP).
    pub fn dns_addr(&self) -> SocketAddr {
        self.dns.addr()
    }

    /// The lab root CA, DER: add it as an extra root to trust lab chains.
    pub fn root_ca(&self) -> CertificateDer<'static> {
        self.root_der.clone()
    }

    /// Scanner options fit for the lab: its DNS server (no cache), its root
    /// CA as an extra root, private addresses allowed, short timeouts
    /// (connect 2 s, handshake 3 s, whole analysis 20 s).
    pub fn scan_options(&self) -> crate::ScanOptions {
        crate::ScanOptions::new()
            .resolver(
                crate::ResolverOptions::default()
                    .nameservers([self.dns_addr()])
                    .cache_size(0),
            )
            .policy(crate::PolicyOptions::new().allow_private(true))
            .extra_root(self.root_ca())
            .timeouts(
                std::time::Duration::from_secs(2),
                std::time::Duration::from_secs(3),
            )
            .scan_timeout(std::time::Duration::from_secs(20))
    }

    /// The lab root CA, PEM.
    pub fn root_ca_pem(&self) -> &str {
        &self.root_pem
    }
}
