//! The lab's in-process authoritative DNS server.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_proto::dnssec::crypto::EcdsaSigningKey;
use hickory_proto::dnssec::rdata::{DNSKEY, DNSSECRData, DS};
use hickory_proto::dnssec::{Algorithm, DigestType, DnssecSigner, SigningKey};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA, TXT};
use hickory_proto::rr::{LowerName, Name, RData, Record};
use hickory_server::Server;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneHandler, ZoneType};
use tokio::net::{TcpListener, UdpSocket};

use crate::error::Error;

const TTL: u32 = 60;
const SERIAL: u32 = 1;

/// Zone data for the lab DNS server: zones and the records in them.
///
/// Record names are absolute (a trailing dot is optional). Each record goes
/// into the zone whose origin is the longest suffix of its name; a record
/// outside every zone is an error at [`LabDnsBuilder::start`]. Each zone gets
/// an SOA and an NS record of its own. Anything hickory can represent may be
/// added with [`LabDnsBuilder::record`] (MX, TXT, CAA, DNSSEC records, …).
///
/// ```no_run
/// # async fn demo() -> Result<(), nis2_scanner::Error> {
/// use nis2_scanner::lab::LabDnsBuilder;
/// let dns = LabDnsBuilder::new()
///     .zone("vendor.test")
///     .a("www.vendor.test", "127.0.0.1".parse().unwrap())
///     .txt("vendor.test", "v=spf1 -all")
///     .start()
///     .await?;
/// println!("DNS on {}", dns.addr());
/// # Ok(()) }
/// ```
#[derive(Debug, Default, Clone)]
pub struct LabDnsBuilder {
    zones: Vec<Name>,
    signed: Vec<Name>,
    records: Vec<Record>,
    errors: Vec<String>,
}

fn name(s: &str) -> Result<Name, String> {
    let mut n = Name::from_ascii(s).map_err(|e| format!("bad DNS name `{s}`: {e}"))?;
    n.set_fqdn(true);
    Ok(n)
}

impl LabDnsBuilder {
    /// No zones yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a zone the server is authoritative for.
    pub fn zone(mut self, origin: &str) -> Self {
        match name(origin) {
            Ok(n) if !self.zones.contains(&n) => self.zones.push(n),
            Ok(_) => {}
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Signs a zone (added with [`LabDnsBuilder::zone`]) with DNSSEC: a fresh
    /// ECDSA P-256 key (flags 257, one key signs everything), its DNSKEY, a
    /// DS record for it, and RRSIGs over every RRset, served to queries with
    /// the DO bit. The lab holds no parent zone, so the DS record is served
    /// at the zone's apex, where a stub resolver asking this server finds
    /// it; [`LabDns::trust_anchors`] gives the key as the trust anchor.
    pub fn sign(mut self, origin: &str) -> Self {
        match name(origin) {
            Ok(n) if !self.signed.contains(&n) => self.signed.push(n),
            Ok(_) => {}
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds any record.
    pub fn record(mut self, record: Record) -> Self {
        self.records.push(record);
        self
    }

    /// Adds record data at a name, with the lab's TTL.
    pub fn rdata(mut self, owner: &str, data: RData) -> Self {
        match name(owner) {
            Ok(n) => self.records.push(Record::from_rdata(n, TTL, data)),
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds an A or AAAA record.
    pub fn ip(self, owner: &str, ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => self.a(owner, v4),
            IpAddr::V6(v6) => self.aaaa(owner, v6),
        }
    }

    /// Adds an A record.
    pub fn a(self, owner: &str, ip: Ipv4Addr) -> Self {
        self.rdata(owner, RData::A(A(ip)))
    }

    /// Adds an AAAA record.
    pub fn aaaa(self, owner: &str, ip: Ipv6Addr) -> Self {
        self.rdata(owner, RData::AAAA(AAAA(ip)))
    }

    /// Adds a TXT record holding one string (split into 255-byte chunks).
    pub fn txt(self, owner: &str, text: &str) -> Self {
        let chunks: Vec<String> = text
            .as_bytes()
            .chunks(255)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        self.rdata(owner, RData::TXT(TXT::new(chunks)))
    }

    /// Adds an MX record.
    pub fn mx(self, owner: &str, preference: u16, exchange: &str) -> Self {
        match name(exchange) {
            Ok(ex) => self.rdata(owner, RData::MX(MX::new(preference, ex))),
            Err(e) => {
                let mut s = self;
                s.errors.push(e);
                s
            }
        }
    }

    /// Adds a CNAME record.
    pub fn cname(self, owner: &str, target: &str) -> Self {
        match name(target) {
            Ok(t) => self.rdata(owner, RData::CNAME(CNAME(t))),
            Err(e) => {
                let mut s = self;
                s.errors.push(e);
                s
            }
        }
    }

    /// Starts the server on `127.0.0.1` (UDP and TCP on the same free port).
    /// Must be called inside a tokio runtime; the server stops when the
    /// returned [`LabDns`] is dropped.
    pub async fn start(self) -> Result<LabDns, Error> {
        if let Some(e) = self.errors.first() {
            return Err(Error::Lab { reason: e.clone() });
        }
        let lab = |reason: String| Error::Lab { reason };
        let mut handlers: BTreeMap<Name, InMemoryZoneHandler> = BTreeMap::new();
        for origin in &self.zones {
            let mut h = InMemoryZoneHandler::empty(
                origin.clone(),
                ZoneType::Primary,
                AxfrPolicy::Deny,
                None,
            );
            let ns = name(&format!("ns.{origin}")).map_err(lab)?;
            let rname = name(&format!("hostmaster.{origin}")).map_err(lab)?;
            let soa = SOA::new(ns.clone(), rname, SERIAL, 3600, 600, 86400, TTL);
            h.upsert_mut(
                Record::from_rdata(origin.clone(), TTL, RData::SOA(soa)),
                SERIAL,
            );
            h.upsert_mut(
                Record::from_rdata(origin.clone(), TTL, RData::NS(NS(ns.clone()))),
                SERIAL,
            );
            h.upsert_mut(
                Record::from_rdata(ns, TTL, RData::A(A(Ipv4Addr::LOCALHOST))),
                SERIAL,
            );
            handlers.insert(origin.clone(), h);
        }
        for record in self.records {
            let owner = record.name.clone();
            let zone = self
                .zones
                .iter()
                .filter(|z| z.zone_of(&owner))
                .max_by_key(|z| z.num_labels())
                .ok_or_else(|| lab(format!("record {owner} is outside every lab zone")))?;
            let handler = handlers
                .get_mut(zone)
                .ok_or_else(|| lab(format!("zone {zone} vanished")))?;
            if !handler.upsert_mut(record, SERIAL) {
                return Err(lab(format!("record at {owner} was refused by zone {zone}")));
            }
        }
        let mut anchors = String::new();
        for origin in &self.signed {
            let handler = handlers
                .get_mut(origin)
                .ok_or_else(|| lab(format!("signed zone {origin} was never added")))?;
            anchors.push_str(&sign_zone(handler, origin).map_err(lab)?);
        }
        let mut catalog = Catalog::new();
        for (origin, handler) in handlers {
            let handler: Arc<dyn ZoneHandler> = Arc::new(handler);
            catalog.upsert(LowerName::from(&origin), vec![handler]);
        }

        // UDP first on a free port, then TCP on the same port; retry if taken.
        let mut last = String::new();
        for _ in 0..20 {
            let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
                .await
                .map_err(|e| lab(format!("cannot bind the lab DNS UDP socket: {e}")))?;
            let addr = udp.local_addr().map_err(|e| lab(e.to_string()))?;
            match TcpListener::bind(addr).await {
                Ok(tcp) => {
                    let mut server = Server::new(catalog);
                    server.register_socket(udp);
                    server.register_listener(tcp, Duration::from_secs(5), 4096);
                    return Ok(LabDns {
                        addr,
                        anchors,
                        _server: server,
                    });
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(lab(format!("cannot bind the lab DNS TCP socket: {last}")))
    }
}

/// Signs `handler`'s zone with a fresh key; returns the key as a trust
/// anchor line (zone-file DNSKEY form).
fn sign_zone(handler: &mut InMemoryZoneHandler, origin: &Name) -> Result<String, String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("DNSSEC {what} for {origin}: {e}");
    let alg = Algorithm::ECDSAP256SHA256;
    let pkcs8 = EcdsaSigningKey::generate_pkcs8(alg).map_err(|e| fail("key generation", &e))?;
    let key = EcdsaSigningKey::from_pkcs8(&pkcs8, alg).map_err(|e| fail("key", &e))?;
    let public = key.to_public_key().map_err(|e| fail("public key", &e))?;
    let dnskey = DNSKEY::from_key(&public);
    let ds = DS::from_key(&public, origin, DigestType::SHA256).map_err(|e| fail("DS", &e))?;
    handler.upsert_mut(
        Record::from_rdata(origin.clone(), TTL, RData::DNSSEC(DNSSECRData::DS(ds))),
        SERIAL,
    );
    let anchor = Record::from_rdata(
        origin.clone(),
        TTL,
        RData::DNSSEC(DNSSECRData::DNSKEY(dnskey.clone())),
    )
    .to_string();
    let signer = DnssecSigner::new(
        dnskey,
        Box::new(key),
        origin.clone(),
        std::time::Duration::from_secs(7 * 86400),
    );
    handler
        .add_zone_signing_key_mut(signer)
        .map_err(|e| fail("signing key", &e))?;
    handler.secure_zone_mut().map_err(|e| fail("signing", &e))?;
    Ok(format!("{anchor}\n"))
}

/// A running lab DNS server; stops when dropped.
pub struct LabDns {
    addr: SocketAddr,
    anchors: String,
    // Dropping the server drops its task set, which aborts the tasks.
    _server: Server<Catalog>,
}

impl std::fmt::Debug for LabDns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabDns")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl LabDns {
    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The DNSKEYs of the signed zones as trust anchors, one zone-file
    /// DNSKEY record a line (empty when no zone is signed); give them to
    /// [`crate::ResolverOptions::dnssec_trust_anchors`].
    pub fn trust_anchors(&self) -> &str {
        &self.anchors
    }
}
