//! The lab's certificates, made at start-up: a root CA and an intermediate
//! with rcgen; an RSA-1024 leaf and a SHA-1-signed leaf with the system
//! `openssl` command (rcgen can neither make 1024-bit RSA keys nor sign with
//! SHA-1).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_RSA_SHA256, RsaKeySize,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

use crate::error::Error;

fn lab_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Lab {
        reason: format!("{what}: {e}"),
    }
}

/// A temporary directory removed on drop.
#[derive(Debug)]
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> Result<Self, Error> {
        static N: AtomicU64 = AtomicU64::new(0);
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        let dir = std::env::temp_dir().join(format!(
            "nis2-lab-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            nanos % 1_000_000_000
        ));
        std::fs::create_dir_all(&dir).map_err(|e| lab_err("cannot create the lab directory", e))?;
        Ok(Self(dir))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A certificate chain (leaf first) and its key, in memory and as PEM files
/// for `openssl s_server`.
#[derive(Debug)]
pub(crate) struct Leaf {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivatePkcs8KeyDer<'static>,
    pub(crate) cert_pem: PathBuf,
    pub(crate) key_pem: PathBuf,
}

impl Leaf {
    pub(crate) fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

/// The lab's PKI: an RSA-2048 root and an ECDSA P-384 intermediate.
pub(crate) struct Pki {
    pub(crate) dir: TempDir,
    root_key: KeyPair,
    root_params: CertificateParams,
    pub(crate) root_der: CertificateDer<'static>,
    pub(crate) root_pem: String,
    inter_key: KeyPair,
    inter_params: CertificateParams,
    inter_der: CertificateDer<'static>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::OrganizationName, "nis2 lab");
    d.push(DnType::CommonName, cn);
    d
}

fn ca_params(cn: &str, path_len: Option<u8>) -> Result<CertificateParams, Error> {
    let mut p =
        CertificateParams::new(Vec::<String>::new()).map_err(|e| lab_err("CA parameters", e))?;
    p.distinguished_name = dn(cn);
    p.is_ca = match path_len {
        Some(n) => IsCa::Ca(BasicConstraints::Constrained(n)),
        None => IsCa::Ca(BasicConstraints::Unconstrained),
    };
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(30);
    p.not_after = now + Duration::days(3650);
    Ok(p)
}

fn write(path: &Path, data: impl AsRef<[u8]>) -> Result<(), Error> {
    std::fs::write(path, data).map_err(|e| lab_err(&format!("cannot write {}", path.display()), e))
}

fn pem(der: &[u8], label: &str) -> String {
    // Minimal PEM writer (base64 with 64-column lines).
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for chunk in der.chunks(3) {
        let n = match chunk.len() {
            3 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]),
            2 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8),
            _ => u32::from(chunk[0]) << 16,
        };
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Runs the system `openssl` with `args`; its stderr becomes the error.
pub(crate) fn openssl(args: &[&str]) -> Result<Vec<u8>, Error> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| lab_err("cannot run `openssl` (is it installed?)", e))?;
    if !out.status.success() {
        return Err(Error::Lab {
            reason: format!(
                "`openssl {}` failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(out.stdout)
}

/// How a leaf is made.
pub(crate) struct LeafSpec<'a> {
    pub(crate) file: &'a str,
    pub(crate) cn: &'a str,
    pub(crate) sans: Vec<String>,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    /// An OCSP responder URL for the Authority Information Access extension.
    pub(crate) ocsp_url: Option<String>,
}

/// The Authority Information Access extension naming one OCSP responder.
fn aia_ocsp(url: &str) -> rcgen::CustomExtension {
    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            out.extend_from_slice(&[0x81, content.len() as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    // id-ad-ocsp 1.3.6.1.5.5.7.48.1, uniformResourceIdentifier [6].
    let id_ad_ocsp = der(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01]);
    let access = der(0x30, &[id_ad_ocsp, der(0x86, url.as_bytes())].concat());
    rcgen::CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], der(0x30, &access))
}

impl Pki {
    pub(crate) fn new() -> Result<Self, Error> {
        let dir = TempDir::new()?;
        let root_key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
            .map_err(|e| lab_err("cannot generate the lab root key", e))?;
        let root_params = ca_params("nis2 lab root CA", None)?;
        let root = root_params
            .self_signed(&root_key)
            .map_err(|e| lab_err("cannot sign the lab root", e))?;
        let root_der = root.der().clone();
        let root_pem = root.pem();
        write(&dir.path().join("root.pem"), &root_pem)?;
        write(&dir.path().join("root.key"), root_key.serialize_pem())?;

        let inter_key = KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384)
            .map_err(|e| lab_err("cannot generate a key", e))?;
        let inter_params = ca_params("nis2 lab intermediate CA", Some(0))?;
        let issuer = Issuer::from_params(&root_params, &root_key);
        let inter = inter_params
            .signed_by(&inter_key, &issuer)
            .map_err(|e| lab_err("cannot sign the intermediate", e))?;
        let inter_der = inter.der().clone();
        write(&dir.path().join("intermediate.pem"), inter.pem())?;
        write(
            &dir.path().join("intermediate.key"),
            inter_key.serialize_pem(),
        )?;
        Ok(Self {
            dir,
            root_key,
            root_params,
            root_der,
            root_pem,
            inter_key,
            inter_params,
            inter_der,
        })
    }

    fn leaf_params(spec: &LeafSpec<'_>) -> Result<CertificateParams, Error> {
        let mut p =
            CertificateParams::new(spec.sans.clone()).map_err(|e| lab_err("leaf parameters", e))?;
        p.distinguished_name = dn(spec.cn);
        p.not_before = spec.not_before;
        p.not_after = spec.not_after;
        if let Some(url) = &spec.ocsp_url {
            p.custom_extensions.push(aia_ocsp(url));
        }
        Ok(p)
    }

    fn finish(
        &self,
        spec: &LeafSpec<'_>,
        key: &KeyPair,
        chain: Vec<CertificateDer<'static>>,
    ) -> Result<Leaf, Error> {
        let cert_pem = self.dir.path().join(format!("{}.pem", spec.file));
        let key_pem = self.dir.path().join(format!("{}.key", spec.file));
        let text: String = chain.iter().map(|c| pem(c, "CERTIFICATE")).collect();
        write(&cert_pem, text)?;
        write(&key_pem, key.serialize_pem())?;
        Ok(Leaf {
            chain,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            cert_pem,
            key_pem,
        })
    }

    /// An ECDSA P-256 leaf signed by the intermediate; the chain holds both.
    pub(crate) fn leaf_via_intermediate(&self, spec: &LeafSpec<'_>) -> Result<Leaf, Error> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| lab_err("cannot generate a key", e))?;
        let issuer = Issuer::from_params(&self.inter_params, &self.inter_key);
        let cert = Self::leaf_params(spec)?
            .signed_by(&key, &issuer)
            .map_err(|e| lab_err("cannot sign a leaf", e))?;
        self.finish(spec, &key, vec![cert.der().clone(), self.inter_der.clone()])
    }

    /// A leaf signed directly by the root, with a key of the given algorithm.
    pub(crate) fn leaf_from_root(&self, spec: &LeafSpec<'_>, rsa: bool) -> Result<Leaf, Error> {
        let key = if rsa {
            KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
        } else {
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        }
        .map_err(|e| lab_err("cannot generate a key", e))?;
        let issuer = Issuer::from_params(&self.root_params, &self.root_key);
        let cert = Self::leaf_params(spec)?
            .signed_by(&key, &issuer)
            .map_err(|e| lab_err("cannot sign a leaf", e))?;
        self.finish(spec, &key, vec![cert.der().clone()])
    }

    /// A self-signed ECDSA P-256 leaf.
    pub(crate) fn self_signed(&self, spec: &LeafSpec<'_>) -> Result<Leaf, Error> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
            .map_err(|e| lab_err("cannot generate a key", e))?;
        let cert = Self::leaf_params(spec)?
            .self_signed(&key)
            .map_err(|e| lab_err("cannot sign a leaf", e))?;
        self.finish(spec, &key, vec![cert.der().clone()])
    }

    /// A leaf made by the `openssl` command and signed by the root with
    /// `digest` (`sha1`, `sha256`); `newkey` is an `openssl req -newkey`
    /// argument (`rsa:1024`), or `None` to use a fresh ECDSA P-256 key from rcgen.
    pub(crate) fn openssl_leaf(
        &self,
        spec: &LeafSpec<'_>,
        newkey: Option<&str>,
        digest: &str,
    ) -> Result<Leaf, Error> {
        let d = self.dir.path();
        let key_pem = d.join(format!("{}.key", spec.file));
        let csr = d.join(format!("{}.csr", spec.file));
        let cert_pem = d.join(format!("{}.pem", spec.file));
        let cert_der = d.join(format!("{}.der", spec.file));
        let ps = |p: &Path| p.to_string_lossy().into_owned();
        let subj = format!("/O=nis2 lab/CN={}", spec.cn);
        let san = format!(
            "subjectAltName={}",
            spec.sans
                .iter()
                .map(|s| format!("DNS:{s}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut rcgen_key = None;
        match newkey {
            Some(nk) => {
                openssl(&[
                    "req",
                    "-new",
                    "-newkey",
                    nk,
                    "-nodes",
                    "-keyout",
                    &ps(&key_pem),
                    "-out",
                    &ps(&csr),
                    "-subj",
                    &subj,
                    "-addext",
                    &san,
                ])?;
            }
            None => {
                let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| lab_err("cannot generate a key", e))?;
                write(&key_pem, key.serialize_pem())?;
                openssl(&[
                    "req",
                    "-new",
                    "-key",
                    &ps(&key_pem),
                    "-out",
                    &ps(&csr),
                    "-subj",
                    &subj,
                    "-addext",
                    &san,
                ])?;
                rcgen_key = Some(key);
            }
        }
        let days = (spec.not_after - OffsetDateTime::now_utc())
            .whole_days()
            .max(1)
            .to_string();
        openssl(&[
            "x509",
            "-req",
            "-in",
            &ps(&csr),
            "-CA",
            &ps(&d.join("root.pem")),
            "-CAkey",
            &ps(&d.join("root.key")),
            "-set_serial",
            &format!(
                "0x{:x}",
                OffsetDateTime::now_utc().unix_timestamp_nanos() as u64
            ),
            "-days",
            &days,
            &format!("-{digest}"),
            "-copy_extensions",
            "copyall",
            "-out",
            &ps(&cert_pem),
        ])?;
        openssl(&[
            "x509",
            "-in",
            &ps(&cert_pem),
            "-outform",
            "DER",
            "-out",
            &ps(&cert_der),
        ])?;
        let der = std::fs::read(&cert_der).map_err(|e| lab_err("cannot read a certificate", e))?;
        let key = match rcgen_key {
            Some(k) => PrivatePkcs8KeyDer::from(k.serialize_der()),
            None => {
                let key_der = openssl(&[
                    "pkcs8",
                    "-topk8",
                    "-nocrypt",
                    "-in",
                    &ps(&key_pem),
                    "-outform",
                    "DER",
                ])?;
                PrivatePkcs8KeyDer::from(key_der)
            }
        };
        Ok(Leaf {
            chain: vec![CertificateDer::from(der)],
            key,
            cert_pem,
            key_pem,
        })
    }
}

impl Pki {
    /// A real OCSP response for `leaf`, signed by its issuer (the
    /// intermediate or the root) with `openssl ocsp`, saying "good" or
    /// "revoked" (since yesterday).
    pub(crate) fn ocsp_response(
        &self,
        leaf: &Leaf,
        by_intermediate: bool,
        revoked: bool,
    ) -> Result<Vec<u8>, Error> {
        let d = self.dir.path();
        let ps = |p: &Path| p.to_string_lossy().into_owned();
        let issuer = if by_intermediate {
            "intermediate"
        } else {
            "root"
        };
        let issuer_pem = ps(&d.join(format!("{issuer}.pem")));
        let issuer_key = ps(&d.join(format!("{issuer}.key")));
        let leaf_pem = ps(&leaf.cert_pem);
        let serial_line =
            String::from_utf8_lossy(&openssl(&["x509", "-in", &leaf_pem, "-noout", "-serial"])?)
                .into_owned();
        let serial = serial_line
            .trim()
            .trim_start_matches("serial=")
            .to_ascii_uppercase();
        let stem = leaf
            .cert_pem
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fmt = time::macros::format_description!(
            "[year repr:last_two][month][day][hour][minute][second]Z"
        );
        let now = OffsetDateTime::now_utc();
        let expiry = (now + Duration::days(365))
            .format(&fmt)
            .map_err(|e| lab_err("date", e))?;
        let line = if revoked {
            let since = (now - Duration::days(1))
                .format(&fmt)
                .map_err(|e| lab_err("date", e))?;
            format!("R\t{expiry}\t{since}\t{serial}\tunknown\t/CN={stem}\n")
        } else {
            format!("V\t{expiry}\t\t{serial}\tunknown\t/CN={stem}\n")
        };
        let index = d.join(format!("{stem}.index"));
        let req = d.join(format!("{stem}.ocsp-req"));
        let resp = d.join(format!("{stem}.ocsp-resp"));
        write(&index, line)?;
        openssl(&[
            "ocsp",
            "-issuer",
            &issuer_pem,
            "-cert",
            &leaf_pem,
            "-reqout",
            &ps(&req),
            "-no_nonce",
        ])?;
        openssl(&[
            "ocsp",
            "-index",
            &ps(&index),
            "-CA",
            &issuer_pem,
            "-rsigner",
            &issuer_pem,
            "-rkey",
            &issuer_key,
            "-reqin",
            &ps(&req),
            "-respout",
            &ps(&resp),
            "-ndays",
            "7",
        ])?;
        std::fs::read(&resp).map_err(|e| lab_err("cannot read the OCSP response", e))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test helpers
mod tests {
    use super::*;
    use nis2_core::observations::RevocationStatus;

    fn spec(file: &str) -> LeafSpec<'_> {
        let now = OffsetDateTime::now_utc();
        LeafSpec {
            file,
            cn: "ocsp-test.lab.nis2.test",
            sans: vec!["ocsp-test.lab.nis2.test".into()],
            not_before: now - Duration::days(1),
            not_after: now + Duration::days(30),
            ocsp_url: Some("http://ocsp.lab.nis2.test:1/".into()),
        }
    }

    /// Responder answers count only when the issuer signed them, and only
    /// for the leaf they name.
    #[test]
    fn responder_answers_are_verified() {
        let pki = Pki::new().unwrap();
        let leaf = pki.leaf_via_intermediate(&spec("a")).unwrap();
        let other = pki.leaf_via_intermediate(&spec("b")).unwrap();
        let (leaf_der, issuer_der) = (leaf.chain[0].to_vec(), leaf.chain[1].to_vec());
        let request = crate::ocsp::request(&leaf_der, &issuer_der).unwrap();
        assert_eq!(request[0], 0x30);
        // The leaf is not its own issuer.
        assert!(crate::ocsp::request(&leaf_der, &leaf_der).is_err());

        let revoked = pki.ocsp_response(&leaf, true, true).unwrap();
        assert_eq!(
            crate::ocsp::verified_status(&revoked, &leaf_der, &issuer_der),
            Ok(RevocationStatus::Revoked)
        );
        let good = pki.ocsp_response(&leaf, true, false).unwrap();
        assert_eq!(
            crate::ocsp::verified_status(&good, &leaf_der, &issuer_der),
            Ok(RevocationStatus::Good)
        );
        // Signed by the root, not by the leaf's issuer (the intermediate).
        let wrong_signer = pki.ocsp_response(&leaf, false, true).unwrap();
        let err = crate::ocsp::verified_status(&wrong_signer, &leaf_der, &issuer_der).unwrap_err();
        assert!(err.contains("not signed by the leaf's issuer"), "{err}");
        // About another certificate.
        let err = crate::ocsp::verified_status(&revoked, &other.chain[0], &issuer_der).unwrap_err();
        assert!(err.contains("says nothing about the leaf"), "{err}");
        // A flipped bit in the signed data.
        let mut tampered = revoked.clone();
        let at = tampered.len() / 3;
        tampered[at] ^= 0x01;
        assert!(crate::ocsp::verified_status(&tampered, &leaf_der, &issuer_der).is_err());
        for cut in [0, 1, 10, revoked.len() / 2, revoked.len() - 1] {
            assert!(crate::ocsp::verified_status(&revoked[..cut], &leaf_der, &issuer_der).is_err());
        }
    }
}
