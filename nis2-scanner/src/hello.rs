//! Hand-built ClientHello messages and the cipher-suite classes they offer.

use nis2_core::observations::TlsVersion;
use tls_parser::{
    CIPHERS, TlsCipherAu, TlsCipherEnc, TlsCipherEncMode, TlsCipherKx, TlsCipherSuite,
};

/// X25519MLKEM768, the hybrid post-quantum group (draft-ietf-tls-ecdhe-mlkem).
pub(crate) const X25519_MLKEM768: u16 = 0x11ec;
pub(crate) const X25519: u16 = 0x001d;

/// Groups offered on classical probes, most common first.
const GROUPS: [u16; 10] = [
    X25519, 0x0017, 0x0018, 0x0019, 0x001e, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
];

/// Signature schemes offered (TLS 1.2+), including legacy SHA-1 ones.
const SIGNATURE_SCHEMES: [u16; 16] = [
    0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401,
    0x0501, 0x0601, 0x0201, 0x0203,
];

/// TLS 1.3 suites.
pub(crate) const TLS13_SUITES: [u16; 5] = [0x1301, 0x1302, 0x1303, 0x1304, 0x1305];

/// IANA name of a named group.
pub(crate) fn group_name(id: u16) -> String {
    match id {
        0x0017 => "secp256r1".into(),
        0x0018 => "secp384r1".into(),
        0x0019 => "secp521r1".into(),
        0x001d => "X25519".into(),
        0x001e => "X448".into(),
        0x0100 => "ffdhe2048".into(),
        0x0101 => "ffdhe3072".into(),
        0x0102 => "ffdhe4096".into(),
        0x0103 => "ffdhe6144".into(),
        0x0104 => "ffdhe8192".into(),
        0x11eb => "SecP256r1MLKEM768".into(),
        0x11ec => "X25519MLKEM768".into(),
        0x11ed => "SecP384r1MLKEM1024".into(),
        0x0200 => "MLKEM512".into(),
        0x0201 => "MLKEM768".into(),
        0x0202 => "MLKEM1024".into(),
        other => format!("0x{other:04x}"),
    }
}

/// A class of cipher suites probed on each version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SuiteClass {
    Rc4,
    Des,
    Null,
    Export,
    Anonymous,
    Cbc,
    StaticRsa,
    ForwardSecret,
}

impl SuiteClass {
    pub(crate) const ALL: [SuiteClass; 8] = [
        Self::ForwardSecret,
        Self::StaticRsa,
        Self::Cbc,
        Self::Rc4,
        Self::Des,
        Self::Null,
        Self::Export,
        Self::Anonymous,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Rc4 => "RC4",
            Self::Des => "DES/3DES",
            Self::Null => "NULL",
            Self::Export => "EXPORT",
            Self::Anonymous => "anonymous",
            Self::Cbc => "CBC",
            Self::StaticRsa => "static RSA",
            Self::ForwardSecret => "(EC)DHE",
        }
    }

    /// Whether a suite belongs to this class.
    pub(crate) fn contains(self, s: &TlsCipherSuite) -> bool {
        let export = s.name.contains("EXPORT");
        let anon = s.au == TlsCipherAu::Null || s.name.contains("_anon_");
        let weak_enc = matches!(
            s.enc,
            TlsCipherEnc::Null | TlsCipherEnc::Rc4 | TlsCipherEnc::Des | TlsCipherEnc::TripleDes
        );
        match self {
            Self::Rc4 => s.enc == TlsCipherEnc::Rc4,
            Self::Des => matches!(s.enc, TlsCipherEnc::Des | TlsCipherEnc::TripleDes),
            Self::Null => s.enc == TlsCipherEnc::Null,
            Self::Export => export,
            Self::Anonymous => anon,
            Self::Cbc => s.enc_mode == TlsCipherEncMode::Cbc && !export && !anon && !weak_enc,
            Self::StaticRsa => s.kx == TlsCipherKx::Rsa && !export && !weak_enc,
            Self::ForwardSecret => {
                matches!(s.kx, TlsCipherKx::Dhe | TlsCipherKx::Ecdhe)
                    && !anon
                    && !export
                    && !weak_enc
            }
        }
    }

    /// The code points of the class, for TLS ≤ 1.2 hellos.
    pub(crate) fn suites(self) -> Vec<u16> {
        legacy_suites()
            .filter(|s| self.contains(s))
            .map(|s| s.id.0)
            .collect()
    }
}

/// Every TLS ≤ 1.2 suite worth offering (key exchange RSA, DH, DHE, ECDH,
/// ECDHE or anonymous ECDH; no PSK, SRP, Kerberos or signalling values),
/// sorted by code point so hellos are reproducible.
fn legacy_suites() -> impl Iterator<Item = &'static TlsCipherSuite> {
    let mut all: Vec<&'static TlsCipherSuite> = CIPHERS
        .values()
        .filter(|s| {
            matches!(
                s.kx,
                TlsCipherKx::Rsa
                    | TlsCipherKx::Dh
                    | TlsCipherKx::Dhe
                    | TlsCipherKx::Ecdh
                    | TlsCipherKx::Ecdhe
                    | TlsCipherKx::Aecdh
            ) && !s.name.contains("PSK")
                && !s.name.contains("SRP")
                && !s.name.contains("KRB5")
                && !s.name.contains("GOST")
                && s.id.0 != 0x00ff
                && s.id.0 != 0x5600
        })
        .collect();
    all.sort_by_key(|s| s.id.0);
    all.into_iter()
}

/// Every suite for a version probe on TLS ≤ 1.2: forward-secret AEAD first
/// so preference-honouring servers show their best, then everything else.
pub(crate) fn all_legacy_suites() -> Vec<u16> {
    let mut ordered: Vec<&'static TlsCipherSuite> = legacy_suites().collect();
    ordered.sort_by_key(|s| {
        let fs = SuiteClass::ForwardSecret.contains(s);
        let aead = s.enc_mode != TlsCipherEncMode::Cbc
            && s.enc != TlsCipherEnc::Null
            && s.enc != TlsCipherEnc::Rc4;
        (!fs, !aead, s.id.0)
    });
    ordered.into_iter().map(|s| s.id.0).collect()
}

/// IANA name of a suite; empty when unknown.
pub(crate) fn suite_name(id: u16) -> String {
    TlsCipherSuite::from_id(id)
        .map(|s| s.name.to_owned())
        .unwrap_or_default()
}

/// What to put in a ClientHello.
#[derive(Clone, Debug)]
pub(crate) struct HelloSpec {
    pub(crate) version: TlsVersion,
    pub(crate) suites: Vec<u16>,
    pub(crate) sni: String,
    /// Named groups (TLS 1.3 also sends key shares for some of them).
    pub(crate) groups: Vec<u16>,
    /// Groups to send a key share for (TLS 1.3 only).
    pub(crate) key_shares: Vec<u16>,
    /// Ask for a stapled OCSP response.
    pub(crate) status_request: bool,
}

impl HelloSpec {
    /// A probe of one version with the given suites.
    pub(crate) fn new(version: TlsVersion, suites: Vec<u16>, sni: &str) -> Self {
        let tls13 = version == TlsVersion::Tls13;
        Self {
            version,
            suites,
            sni: sni.to_owned(),
            groups: GROUPS.to_vec(),
            key_shares: if tls13 { vec![X25519] } else { Vec::new() },
            status_request: !tls13,
        }
    }
}

fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_u24(out: &mut Vec<u8>, v: usize) {
    out.extend_from_slice(&[(v >> 16) as u8, (v >> 8) as u8, v as u8]);
}

fn ext(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
    put_u16(out, kind);
    put_u16(out, body.len() as u16);
    out.extend_from_slice(body);
}

fn list16(items: &[u16]) -> Vec<u8> {
    let mut b = Vec::with_capacity(2 + items.len() * 2);
    put_u16(&mut b, (items.len() * 2) as u16);
    for i in items {
        put_u16(&mut b, *i);
    }
    b
}

/// Cheap, non-cryptographic bytes: the probes never finish a handshake, so
/// randoms and key shares only have to be well-formed, not secret.
fn filler(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed ^ 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A well-formed key share for a group: any 32 bytes are an X25519 public
/// key; an ML-KEM-768 encapsulation key needs every 12-bit coefficient
/// below q = 3329 (FIPS 203 §7.2), which an all-zero vector and a random
/// seed satisfy.
fn key_share(group: u16, seed: u64) -> Option<Vec<u8>> {
    match group {
        X25519 => Some(filler(seed, 32)),
        X25519_MLKEM768 => {
            let mut k = vec![0u8; 1152];
            k.extend(filler(seed, 32)); // rho
            k.extend(filler(seed.wrapping_add(1), 32)); // X25519 part
            Some(k)
        }
        _ => None,
    }
}

/// A ClientHello record for `spec`.
pub(crate) fn client_hello(spec: &HelloSpec, seed: u64) -> Vec<u8> {
    let tls13 = spec.version == TlsVersion::Tls13;
    let ssl3 = spec.version == TlsVersion::Ssl3;
    let mut body = Vec::with_capacity(512);
    put_u16(&mut body, if tls13 { 0x0303 } else { spec.version.wire() });
    body.extend(filler(seed, 32));
    if tls13 {
        // A legacy session id, as middlebox-compatible clients send.
        body.push(32);
        body.extend(filler(seed.wrapping_add(7), 32));
    } else {
        body.push(0);
    }
    let mut suites = spec.suites.clone();
    if ssl3 {
        suites.push(0x00ff); // renegotiation SCSV: SSLv3 hellos carry no extensions
    }
    body.extend(list16(&suites));
    body.extend_from_slice(&[1, 0]); // compression: null only

    if !ssl3 {
        let mut exts = Vec::with_capacity(256);
        // server_name: always for names; RFC 6066 §3 forbids IP literals in it.
        if spec.sni.parse::<std::net::IpAddr>().is_err() {
            let host = spec.sni.as_bytes();
            let mut sni = Vec::with_capacity(host.len() + 5);
            put_u16(&mut sni, (host.len() + 3) as u16);
            sni.push(0);
            put_u16(&mut sni, host.len() as u16);
            sni.extend_from_slice(host);
            ext(&mut exts, 0, &sni);
        }
        ext(&mut exts, 10, &list16(&spec.groups));
        ext(&mut exts, 11, &[1, 0]);
        if matches!(spec.version, TlsVersion::Tls12 | TlsVersion::Tls13) {
            ext(&mut exts, 13, &list16(&SIGNATURE_SCHEMES));
        }
        if spec.status_request {
            ext(&mut exts, 5, &[1, 0, 0, 0, 0]);
        }
        ext(&mut exts, 23, &[]); // extended_master_secret
        ext(&mut exts, 35, &[]); // session_ticket
        ext(&mut exts, 0xff01, &[0]); // renegotiation_info
        if tls13 {
            ext(&mut exts, 43, &[2, 0x03, 0x04]);
            ext(&mut exts, 45, &[1, 1]); // psk_key_exchange_modes: psk_dhe_ke
            let mut shares = Vec::new();
            for (i, g) in spec.key_shares.iter().enumerate() {
                if let Some(k) = key_share(*g, seed.wrapping_add(100 + i as u64)) {
                    put_u16(&mut shares, *g);
                    put_u16(&mut shares, k.len() as u16);
                    shares.extend(k);
                }
            }
            let mut ks = Vec::with_capacity(shares.len() + 2);
            put_u16(&mut ks, shares.len() as u16);
            ks.extend(shares);
            ext(&mut exts, 51, &ks);
        }
        put_u16(&mut body, exts.len() as u16);
        body.extend(exts);
    }

    let mut hs = Vec::with_capacity(body.len() + 4);
    hs.push(1);
    put_u24(&mut hs, body.len());
    hs.extend(body);
    let mut rec = Vec::with_capacity(hs.len() + 5);
    rec.push(22);
    put_u16(&mut rec, if ssl3 { 0x0300 } else { 0x0301 });
    put_u16(&mut rec, hs.len() as u16);
    rec.extend(hs);
    rec
}

/// An SSLv2 CLIENT-HELLO offering every SSLv2 cipher kind.
pub(crate) fn sslv2_client_hello(seed: u64) -> Vec<u8> {
    const KINDS: [[u8; 3]; 7] = [
        [0x01, 0x00, 0x80],
        [0x02, 0x00, 0x80],
        [0x03, 0x00, 0x80],
        [0x04, 0x00, 0x80],
        [0x05, 0x00, 0x80],
        [0x06, 0x00, 0x40],
        [0x07, 0x00, 0xc0],
    ];
    let mut msg = vec![1, 0x00, 0x02];
    put_u16(&mut msg, (KINDS.len() * 3) as u16);
    put_u16(&mut msg, 0);
    put_u16(&mut msg, 16);
    for k in KINDS {
        msg.extend_from_slice(&k);
    }
    msg.extend(filler(seed, 16));
    let mut rec = vec![0x80 | ((msg.len() >> 8) as u8), msg.len() as u8];
    rec.extend(msg);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use tls_parser::{TlsMessage, TlsMessageHandshake, parse_tls_plaintext};

    #[test]
    fn classes_hold_the_expected_suites() {
        assert!(SuiteClass::Rc4.suites().contains(&0x0005));
        assert!(SuiteClass::Des.suites().contains(&0x000a));
        assert!(SuiteClass::Null.suites().contains(&0x0002));
        assert!(SuiteClass::Export.suites().contains(&0x0003));
        assert!(SuiteClass::Anonymous.suites().contains(&0x0034));
        assert!(SuiteClass::Cbc.suites().contains(&0xc013));
        assert!(!SuiteClass::Cbc.suites().contains(&0x000a));
        assert!(SuiteClass::StaticRsa.suites().contains(&0x002f));
        assert!(!SuiteClass::StaticRsa.suites().contains(&0x0005));
        assert!(SuiteClass::ForwardSecret.suites().contains(&0xc02f));
        assert!(!SuiteClass::ForwardSecret.suites().contains(&0x0034));
        assert!(!all_legacy_suites().contains(&0x00ff));
        assert_eq!(all_legacy_suites().first().map(|id| SuiteClass::ForwardSecret.contains(TlsCipherSuite::from_id(*id).unwrap())), Some(true));
        assert_eq!(suite_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    }

    #[test]
    fn hellos_parse_back() {
        for version in [
            TlsVersion::Ssl3,
            TlsVersion::Tls10,
            TlsVersion::Tls12,
            TlsVersion::Tls13,
        ] {
            let suites = if version == TlsVersion::Tls13 {
                TLS13_SUITES.to_vec()
            } else {
                all_legacy_suites()
            };
            let mut spec = HelloSpec::new(version, suites.clone(), "good.lab.nis2.test");
            if version == TlsVersion::Tls13 {
                spec.key_shares = vec![X25519_MLKEM768];
            }
            let rec = client_hello(&spec, 42);
            let (rest, plain) = parse_tls_plaintext(&rec).unwrap();
            assert!(rest.is_empty());
            let Some(TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch))) =
                plain.msg.first()
            else {
                panic!("not a ClientHello");
            };
            let offered: Vec<u16> = ch.ciphers.iter().map(|c| c.0).collect();
            assert_eq!(&offered[..suites.len()], &suites[..]);
            assert_eq!(ch.ext.is_some(), version != TlsVersion::Ssl3);
        }
        let with_name = client_hello(
            &HelloSpec::new(TlsVersion::Tls12, vec![0xc02f], "a.example"),
            1,
        );
        let with_ip = client_hello(
            &HelloSpec::new(TlsVersion::Tls12, vec![0xc02f], "192.0.2.1"),
            1,
        );
        assert!(with_name.windows(9).any(|w| w == b"a.example"));
        assert_eq!(with_name.len() - with_ip.len(), 4 + 5 + 9);
        let v2 = sslv2_client_hello(1);
        assert_eq!(usize::from(v2[1]) + 2, v2.len());
    }
}
