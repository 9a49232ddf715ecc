//! Certificates: the chain from a real rustls handshake, verified apart
//! from the handshake with webpki, and read with x509-parser.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nis2_core::Timestamp;
use nis2_core::observations::{
    CertificateInfo, CertificateObservations, KeyAlgorithm, PublicKeyInfo, Revocation,
    RevocationSource,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::verify_server_cert_signed_by_trust_anchor;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio_rustls::TlsConnector;
use x509_parser::der_parser::oid::Oid;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::objects::{oid_registry, oid2sn};
use x509_parser::prelude::{FromDer, X509Certificate, X509Error};
use x509_parser::public_key::PublicKey;

use crate::probe::{self, Timeouts};

/// What the handshake verifier saw.
#[derive(Debug, Default)]
struct Seen {
    chain: Vec<CertificateDer<'static>>,
    ocsp: Vec<u8>,
}

/// Accepts any certificate and signature so the chain is always captured;
/// verification happens afterwards, apart from the handshake.
#[derive(Debug)]
struct CaptureVerifier {
    seen: Mutex<Seen>,
}

impl ServerCertVerifier for CaptureVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            seen.chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            seen.ocsp = ocsp_response.to_vec();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ECDSA_NISTP521_SHA512,
            SignatureScheme::ED25519,
            SignatureScheme::ED448,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PSS_SHA512,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PKCS1_SHA384,
            SignatureScheme::RSA_PKCS1_SHA512,
            SignatureScheme::RSA_PKCS1_SHA1,
            SignatureScheme::ECDSA_SHA1_Legacy,
        ]
    }
}

/// Root store and provider shared by every verification of a scanner.
#[derive(Debug, Clone)]
pub(crate) struct Trust {
    pub(crate) roots: Arc<RootCertStore>,
    pub(crate) provider: Arc<CryptoProvider>,
}

/// A chain captured from a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CapturedChain {
    pub(crate) chain: Vec<Vec<u8>>,
    /// The stapled OCSP response (DER), empty when none was stapled.
    pub(crate) ocsp_response: Vec<u8>,
}

/// Runs a real rustls handshake (TLS 1.2/1.3) with `sni` to `addr` and
/// returns the chain the server sent.
pub(crate) async fn handshake_chain(
    addr: SocketAddr,
    sni: &str,
    trust: &Trust,
    t: Timeouts,
) -> Result<CapturedChain, String> {
    let verifier = Arc::new(CaptureVerifier {
        seen: Mutex::new(Seen::default()),
    });
    let config = ClientConfig::builder_with_provider(trust.provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| format!("rustls configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(sni.to_owned())
        .map_err(|e| format!("bad server name `{sni}`: {e}"))?;
    let stream = probe::connect(addr, t).await.map_err(|o| o.describe())?;
    let connector = TlsConnector::from(Arc::new(config));
    let mut tls = match tokio::time::timeout(t.handshake, connector.connect(name, stream)).await {
        Err(_) => {
            return Err(format!(
                "TLS handshake timed out after {} ms",
                t.handshake.as_millis()
            ));
        }
        Ok(Err(e)) => return Err(format!("TLS handshake failed: {e}")),
        Ok(Ok(s)) => s,
    };
    // Say goodbye politely, but never wait long for it.
    let _ = tokio::time::timeout(Duration::from_millis(200), tls.shutdown()).await;
    let seen = verifier
        .seen
        .lock()
        .map_err(|_| "certificate capture poisoned".to_owned())?;
    if seen.chain.is_empty() {
        return Err("the handshake completed without a certificate".into());
    }
    Ok(CapturedChain {
        chain: seen.chain.iter().map(|c| c.to_vec()).collect(),
        ocsp_response: seen.ocsp.clone(),
    })
}

/// Verifies the chain to the root store at `now` (names are checked by
/// core from the SANs). An expired or not-yet-valid leaf is verified again
/// at a moment inside its validity, so that "expired" and "untrusted"
/// stay two separate facts.
pub(crate) fn verify_chain(
    chain: &[Vec<u8>],
    trust: &Trust,
    now: Timestamp,
) -> (bool, Option<String>) {
    let Some((leaf, rest)) = chain.split_first() else {
        return (false, Some("no certificate".into()));
    };
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let intermediates: Vec<CertificateDer<'_>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let parsed = match ParsedCertificate::try_from(&leaf_der) {
        Ok(p) => p,
        Err(e) => return (false, Some(e.to_string())),
    };
    let algs = trust.provider.signature_verification_algorithms.all;
    let at =
        |t: i64| UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(t).unwrap_or(0)));
    match verify_server_cert_signed_by_trust_anchor(
        &parsed,
        &trust.roots,
        &intermediates,
        at(now.unix()),
        algs,
    ) {
        Ok(()) => (true, None),
        Err(rustls::Error::InvalidCertificate(
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. },
        )) => {
            let inside = X509Certificate::from_der(leaf).ok().map(|(_, c)| {
                let v = c.validity();
                v.not_before.timestamp() / 2 + v.not_after.timestamp() / 2
            });
            match inside.map(|t| {
                verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    &trust.roots,
                    &intermediates,
                    at(t),
                    algs,
                )
            }) {
                Some(Ok(())) => (true, None),
                Some(Err(e)) => (false, Some(error_text(&e, chain))),
                None => (false, Some("the leaf cannot be parsed".into())),
            }
        }
        Err(e) => (false, Some(error_text(&e, chain))),
    }
}

/// rustls's error text, without the long lists some variants carry.
fn error_text(e: &rustls::Error, chain: &[Vec<u8>]) -> String {
    match e {
        rustls::Error::InvalidCertificate(
            CertificateError::UnsupportedSignatureAlgorithmContext { .. },
        ) => {
            let names: Vec<String> = chain
                .iter()
                .filter_map(|der| X509Certificate::from_der(der).ok())
                .map(|(_, c)| oid_name(&c.signature_algorithm.algorithm))
                .collect();
            format!(
                "invalid peer certificate: unsupported signature algorithm (chain signed with {})",
                names.join(", ")
            )
        }
        other => {
            let text = other.to_string();
            match text.find(" { ") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

/// The observation for a captured chain.
///
/// Facts no real certificate can have, and which `Observations::validate`
/// would refuse, are clamped with a note in `notes`: a validity that ends
/// before it starts is recorded as ending when it starts (never valid).
pub(crate) fn observe(
    captured: &CapturedChain,
    trust: &Trust,
    now: Timestamp,
    notes: &mut Vec<String>,
) -> Result<CertificateObservations, String> {
    let mut infos = Vec::with_capacity(captured.chain.len());
    for (i, der) in captured.chain.iter().enumerate() {
        let mut info =
            certificate_info(der).map_err(|e| format!("certificate #{i} of the chain: {e}"))?;
        if info.not_after < info.not_before {
            notes.push(format!(
                "certificate #{i} of the chain: validity ends ({}) before it starts ({}); recorded as never valid",
                info.not_after, info.not_before
            ));
            info.not_after = info.not_before;
        }
        infos.push(info);
    }
    let (trusted, verify_error) = verify_chain(&captured.chain, trust, now);
    let serial = infos
        .first()
        .and_then(|leaf| hex::decode(&leaf.serial).ok())
        .unwrap_or_default();
    let revocation = if captured.ocsp_response.is_empty() {
        None
    } else {
        crate::ocsp::stapled_status(&captured.ocsp_response, &serial).map(|status| Revocation {
            status,
            source: RevocationSource::Stapled,
        })
    };
    Ok(CertificateObservations {
        chain: infos,
        trusted,
        verify_error,
        ocsp_stapled: !captured.ocsp_response.is_empty(),
        revocation,
    })
}

fn curve_name(oid: &Oid<'_>) -> String {
    match oid.to_id_string().as_str() {
        "1.2.840.10045.3.1.7" => "P-256".into(),
        "1.3.132.0.34" => "P-384".into(),
        "1.3.132.0.35" => "P-521".into(),
        "1.3.132.0.10" => "secp256k1".into(),
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1".into(),
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1".into(),
        "1.3.36.3.3.2.8.1.1.13" => "brainpoolP512r1".into(),
        other => other.to_owned(),
    }
}

fn oid_name(oid: &Oid<'_>) -> String {
    oid2sn(oid, oid_registry())
        .map(str::to_owned)
        .unwrap_or_else(|_| oid.to_id_string())
}

/// x509-parser facts of one DER certificate.
pub(crate) fn certificate_info(der: &[u8]) -> Result<CertificateInfo, String> {
    let (_, cert) = X509Certificate::from_der(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let spki = cert.public_key();
    let alg = spki.algorithm.algorithm.to_id_string();
    let parsed = spki.parsed();
    let key = match (alg.as_str(), &parsed) {
        (_, Ok(PublicKey::RSA(rsa))) => PublicKeyInfo {
            algorithm: KeyAlgorithm::Rsa,
            bits: rsa.key_size() as u32,
            curve: None,
        },
        (_, Ok(PublicKey::EC(point))) => PublicKeyInfo {
            algorithm: KeyAlgorithm::Ec,
            bits: point.key_size() as u32,
            curve: spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| curve_name(&o)),
        },
        ("1.3.101.112", _) => PublicKeyInfo {
            algorithm: KeyAlgorithm::Ed25519,
            bits: 256,
            curve: None,
        },
        ("1.3.101.113", _) => PublicKeyInfo {
            algorithm: KeyAlgorithm::Ed448,
            bits: 456,
            curve: None,
        },
        (_, Ok(PublicKey::DSA(y))) => PublicKeyInfo {
            algorithm: KeyAlgorithm::Dsa,
            bits: (y.len() * 8) as u32,
            curve: None,
        },
        _ => PublicKeyInfo {
            algorithm: KeyAlgorithm::Other,
            bits: (spki.subject_public_key.data.len() * 8).max(1) as u32,
            curve: None,
        },
    };
    // A key whose size cannot be read is recorded as 1 bit (weak), never 0.
    let key = PublicKeyInfo {
        bits: key.bits.max(1),
        ..key
    };
    let mut sans = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                GeneralName::DNSName(d) => sans.push((*d).to_owned()),
                GeneralName::IPAddress(ip) => sans.push(ip_text(ip)),
                _ => {}
            }
        }
    }
    let mut ocsp_urls = Vec::new();
    let mut sct_count = 0u32;
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for ad in &aia.accessdescs {
                    if ad.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1"
                        && let GeneralName::URI(u) = &ad.access_location
                    {
                        ocsp_urls.push((*u).to_owned());
                    }
                }
            }
            ParsedExtension::SCT(list) => sct_count += list.len() as u32,
            _ => {}
        }
    }
    let self_issued = cert.subject().as_raw() == cert.issuer().as_raw();
    let self_signed = self_issued
        && match cert.verify_signature(None) {
            Ok(()) => true,
            // Algorithms or key sizes aws-lc refuses to verify (e.g. RSA-1024): judge by the names.
            Err(X509Error::SignatureUnsupportedAlgorithm) => true,
            Err(_) => key.algorithm == KeyAlgorithm::Rsa && key.bits < 2048,
        };
    let validity = cert.validity();
    let ts =
        |t: i64| Timestamp::from_unix(t).ok_or_else(|| format!("validity date {t} out of range"));
    Ok(CertificateInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_before: ts(validity.not_before.timestamp())?,
        not_after: ts(validity.not_after.timestamp())?,
        key,
        signature_algorithm: oid_name(&cert.signature_algorithm.algorithm),
        self_signed,
        ocsp_urls,
        sct_count,
        serial: hex::encode(cert.raw_serial()),
        sha256: hex::encode(Sha256::digest(der)),
    })
}

fn ip_text(raw: &[u8]) -> String {
    match raw.len() {
        4 => std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]).to_string(),
        16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(raw);
            std::net::Ipv6Addr::from(b).to_string()
        }
        _ => hex::encode(raw),
    }
}

/// Builds the trust store: webpki-roots plus `extra` roots (DER).
pub(crate) fn trust(extra: &[CertificateDer<'static>]) -> Result<Trust, String> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for (i, c) in extra.iter().enumerate() {
        roots
            .add(c.clone())
            .map_err(|e| format!("extra root #{i} is unusable: {e}"))?;
    }
    Ok(Trust {
        roots: Arc::new(roots),
        provider: Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_certificates_are_errors() {
        assert!(certificate_info(b"").is_err());
        assert!(certificate_info(b"\x30\x82\xff\xff junk").is_err());
        let trust = trust(&[]).unwrap();
        let captured = CapturedChain {
            chain: vec![b"junk".to_vec()],
            ocsp_response: Vec::new(),
        };
        let err = observe(&captured, &trust, Timestamp::UNIX_EPOCH, &mut Vec::new()).unwrap_err();
        assert!(err.starts_with("certificate #0 of the chain"), "{err}");
        assert!(!verify_chain(&[], &trust, Timestamp::UNIX_EPOCH).0);
    }

    #[test]
    fn extra_roots_must_be_certificates() {
        let bad = CertificateDer::from(b"not a certificate".to_vec());
        assert!(trust(&[bad]).is_err());
        assert!(trust(&[]).unwrap().roots.len() > 100);
    }
}

#[cfg(all(test, feature = "lab"))]
#[allow(clippy::unwrap_used)] // test helpers
mod lab_tests {
    use super::*;
    use rcgen::{CertificateParams, KeyPair, PKCS_ED25519};

    fn self_signed(not_before: (i32, u8, u8), not_after: (i32, u8, u8)) -> Vec<u8> {
        let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
        let mut p = CertificateParams::new(vec!["odd.example".to_owned()]).unwrap();
        p.not_before = rcgen::date_time_ymd(not_before.0, not_before.1, not_before.2);
        p.not_after = rcgen::date_time_ymd(not_after.0, not_after.1, not_after.2);
        p.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn ed25519_self_signed_facts() {
        let info = certificate_info(&self_signed((2020, 1, 1), (2030, 1, 1))).unwrap();
        assert_eq!(info.key.algorithm, KeyAlgorithm::Ed25519);
        assert_eq!(info.key.bits, 256);
        assert_eq!(info.signature_algorithm, "ed25519");
        assert!(info.self_signed);
        assert_eq!(info.sans, vec!["odd.example".to_owned()]);
    }

    /// Embedded SCTs (RFC 6962 §3.3) are counted; an OCSP URL is read from
    /// the Authority Information Access extension.
    #[test]
    fn embedded_scts_are_counted() {
        fn sct(seed: u8) -> Vec<u8> {
            let mut s = vec![0u8]; // v1
            s.extend([seed; 32]); // log id
            s.extend(1_700_000_000_000u64.to_be_bytes());
            s.extend([0, 0]); // no extensions
            s.extend([4, 3, 0, 8]); // sha256 / ecdsa, 8 bytes of signature
            s.extend([seed; 8]);
            let mut out = (s.len() as u16).to_be_bytes().to_vec();
            out.extend(s);
            out
        }
        let list: Vec<u8> = [sct(1), sct(2)].concat();
        let mut tls = (list.len() as u16).to_be_bytes().to_vec();
        tls.extend(list);
        let mut octets = vec![0x04, tls.len() as u8];
        octets.extend(tls);
        let key = KeyPair::generate_for(&PKCS_ED25519).unwrap();
        let mut p = CertificateParams::new(vec!["ct.example".to_owned()]).unwrap();
        p.custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                octets,
            ));
        let der = p.self_signed(&key).unwrap().der().to_vec();
        let info = certificate_info(&der).unwrap();
        assert_eq!(info.sct_count, 2);
        assert!(info.ocsp_urls.is_empty());
    }

    #[test]
    fn inverted_validity_is_clamped_with_a_note() {
        let der = self_signed((2030, 1, 1), (2020, 1, 1));
        let captured = CapturedChain {
            chain: vec![der],
            ocsp_response: Vec::new(),
        };
        let mut notes = Vec::new();
        let obs = observe(
            &captured,
            &trust(&[]).unwrap(),
            Timestamp::UNIX_EPOCH,
            &mut notes,
        )
        .unwrap();
        assert_eq!(obs.chain[0].not_after, obs.chain[0].not_before);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("recorded as never valid"), "{notes:?}");
        assert!(!obs.trusted);
    }
}
