//! OCSP (RFC 6960): the certificate status out of a stapled response, and
//! a request to the responder named in the certificate with its answer
//! verified.
//!
//! Only the status of the single response whose serial number is the
//! leaf's is read. A stapled response's signature is not verified: it
//! comes from the server being judged, which can only lie about itself,
//! and an unverifiable "revoked" is still worth reporting. A responder's
//! answer travels over plain HTTP, so it counts only when signed by the
//! issuer, or by a responder certificate the issuer signed for OCSP
//! signing (§4.2.2.2).

use nis2_core::observations::RevocationStatus;
use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AlgorithmIdentifier, SubjectPublicKeyInfo};

/// One DER element: tag byte and content.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
}

/// Splits the first element off `input`.
fn tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first()?;
    if tag & 0x1f == 0x1f {
        return None; // high tag numbers never occur in OCSP
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((
        Tlv {
            tag,
            content: &rest[..len],
        },
        &rest[len..],
    ))
}

/// The elements inside a constructed element.
fn children(mut content: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (t, rest) = tlv(content)?;
        out.push(t);
        content = rest;
    }
    Some(out)
}

/// Strips leading zero bytes of a DER INTEGER's content (sign padding).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while b.len() > 1 && b[0] == 0 {
        b = &b[1..];
    }
    b
}

/// The status the response gives for the certificate with `serial` (its
/// DER INTEGER content), or `None` when the response is not a successful
/// basic OCSP response about that certificate.
pub(crate) fn stapled_status(response: &[u8], serial: &[u8]) -> Option<RevocationStatus> {
    basic(response).and_then(|b| status_in(&b, serial))
}

/// The parts of a BasicOCSPResponse needed to read and verify it.
struct Basic<'a> {
    /// The whole `tbsResponseData` element, as signed.
    tbs: &'a [u8],
    /// The `signatureAlgorithm` element.
    algorithm: &'a [u8],
    /// The `signature` BIT STRING element.
    signature: &'a [u8],
    /// Certificates sent with the response (DER).
    certs: Vec<&'a [u8]>,
}

/// The whole element (tag, length, content) `t` was read from, given the
/// input it started at.
fn whole<'a>(input: &'a [u8], rest: &'a [u8]) -> &'a [u8] {
    &input[..input.len() - rest.len()]
}

fn basic(response: &[u8]) -> Option<Basic<'_>> {
    let (outer, _) = tlv(response)?;
    let parts = children(outer.content)?;
    // responseStatus ENUMERATED: 0 = successful.
    if parts.first()?.tag != 0x0a || parts.first()?.content != [0] {
        return None;
    }
    let bytes = parts.iter().find(|p| p.tag == 0xa0)?;
    let (response_bytes, _) = tlv(bytes.content)?;
    let rb = children(response_bytes.content)?;
    // responseType must be id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1).
    if rb.first()?.content != [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01] {
        return None;
    }
    let (basic, _) = tlv(rb.get(1)?.content)?;
    let input = basic.content;
    let (tbs, after_tbs) = tlv(input)?;
    if tbs.tag != 0x30 {
        return None;
    }
    let (alg, after_alg) = tlv(after_tbs)?;
    let (sig, after_sig) = tlv(after_alg)?;
    if alg.tag != 0x30 || sig.tag != 0x03 {
        return None;
    }
    let mut certs = Vec::new();
    if let Some((explicit, _)) = tlv(after_sig).filter(|(t, _)| t.tag == 0xa0) {
        let (list, _) = tlv(explicit.content)?;
        let mut rest = list.content;
        while !rest.is_empty() {
            let (_, next) = tlv(rest)?;
            certs.push(whole(rest, next));
            rest = next;
        }
    }
    Some(Basic {
        tbs: whole(input, after_tbs),
        algorithm: whole(after_tbs, after_alg),
        signature: whole(after_alg, after_sig),
        certs,
    })
}

/// The status for `serial` among the single responses of `b`.
fn status_in(b: &Basic<'_>, serial: &[u8]) -> Option<RevocationStatus> {
    const SEQUENCE: u8 = 0x30;
    let (tbs, _) = tlv(b.tbs)?;
    let fields = children(tbs.content)?;
    let responses = fields.iter().rfind(|f| f.tag == SEQUENCE)?;
    for single in children(responses.content)? {
        let items = children(single.content)?;
        let cert_id = children(items.first()?.content)?;
        let serial_here = cert_id.get(3)?;
        if serial_here.tag != 0x02 || unsigned(serial_here.content) != unsigned(serial) {
            continue;
        }
        return match items.get(1)?.tag {
            0x80 => Some(RevocationStatus::Good),
            0xa1 => Some(RevocationStatus::Revoked),
            0x82 => Some(RevocationStatus::Unknown),
            _ => None,
        };
    }
    None
}

/// DER of one element.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(content);
    out
}

/// An OCSPRequest (DER) for the leaf, identified with a SHA-1 CertID (the
/// hash every responder supports): issuer name and key hashes, serial.
pub(crate) fn request(leaf: &[u8], issuer: &[u8]) -> Result<Vec<u8>, String> {
    let (_, leaf) =
        X509Certificate::from_der(leaf).map_err(|e| format!("the leaf cannot be read: {e}"))?;
    let (_, issuer) =
        X509Certificate::from_der(issuer).map_err(|e| format!("the issuer cannot be read: {e}"))?;
    if issuer.subject().as_raw() != leaf.issuer().as_raw() {
        return Err("the next certificate of the chain did not issue the leaf".into());
    }
    let name_hash = Sha1::digest(issuer.subject().as_raw());
    let key_hash = Sha1::digest(&issuer.public_key().subject_public_key.data);
    // sha1 (1.3.14.3.2.26) with NULL parameters.
    let sha1 = der(
        0x30,
        &[der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a]), vec![0x05, 0x00]].concat(),
    );
    let mut serial = leaf.raw_serial().to_vec();
    if serial.first().is_some_and(|b| b & 0x80 != 0) {
        serial.insert(0, 0);
    }
    let cert_id = der(
        0x30,
        &[
            sha1,
            der(0x04, &name_hash),
            der(0x04, &key_hash),
            der(0x02, &serial),
        ]
        .concat(),
    );
    let request = der(0x30, &der(0x30, &cert_id));
    let tbs = der(0x30, &der(0x30, &request));
    Ok(der(0x30, &tbs))
}

/// Whether `signer` (a SubjectPublicKeyInfo) signed the response.
fn signed_by(b: &Basic<'_>, signer: &SubjectPublicKeyInfo<'_>) -> bool {
    let Ok((_, alg)) = AlgorithmIdentifier::from_der(b.algorithm) else {
        return false;
    };
    let Ok((_, sig)) = x509_parser::der_parser::asn1_rs::BitString::from_der(b.signature) else {
        return false;
    };
    x509_parser::verify::verify_signature(signer, &alg, &sig, b.tbs).is_ok()
}

/// The status a responder's answer gives for the leaf, accepted only when
/// the answer is signed by `issuer` or by a certificate in it that `issuer`
/// signed with the OCSP-signing purpose.
pub(crate) fn verified_status(
    response: &[u8],
    leaf: &[u8],
    issuer: &[u8],
) -> Result<RevocationStatus, String> {
    let b = basic(response).ok_or("not a successful basic OCSP response")?;
    let (_, leaf) =
        X509Certificate::from_der(leaf).map_err(|e| format!("the leaf cannot be read: {e}"))?;
    let (_, issuer) =
        X509Certificate::from_der(issuer).map_err(|e| format!("the issuer cannot be read: {e}"))?;
    let by_issuer = signed_by(&b, issuer.public_key());
    let by_delegate = || {
        b.certs.iter().any(|der| {
            let Ok((_, c)) = X509Certificate::from_der(der) else {
                return false;
            };
            let for_ocsp =
                matches!(c.extended_key_usage(), Ok(Some(eku)) if eku.value.ocsp_signing);
            for_ocsp
                && c.issuer().as_raw() == issuer.subject().as_raw()
                && c.verify_signature(Some(issuer.public_key())).is_ok()
                && signed_by(&b, c.public_key())
        })
    };
    if !(by_issuer || by_delegate()) {
        return Err("the response is not signed by the leaf's issuer or its OCSP responder".into());
    }
    status_in(&b, leaf.raw_serial())
        .ok_or_else(|| "the response says nothing about the leaf".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if content.len() < 0x80 {
            out.push(content.len() as u8);
        } else {
            out.extend_from_slice(&[0x82, (content.len() >> 8) as u8, content.len() as u8]);
        }
        out.extend_from_slice(content);
        out
    }

    fn response(serial: &[u8], status: &[u8]) -> Vec<u8> {
        let cert_id = [
            der(0x30, &der(0x06, &[0x2b, 0x0e, 0x03, 0x02, 0x1a])),
            der(0x04, &[1; 20]),
            der(0x04, &[2; 20]),
            der(0x02, serial),
        ]
        .concat();
        let single = der(
            0x30,
            &[
                der(0x30, &cert_id),
                status.to_vec(),
                der(0x18, b"20261122000000Z"),
            ]
            .concat(),
        );
        let tbs = der(
            0x30,
            &[
                der(0xa2, &der(0x04, &[3; 20])),
                der(0x18, b"20261122000000Z"),
                der(0x30, &single),
            ]
            .concat(),
        );
        let basic = der(
            0x30,
            &[tbs, der(0x30, &der(0x06, &[0x2a])), der(0x03, &[0, 1, 2])].concat(),
        );
        let oid = der(
            0x06,
            &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01],
        );
        let response_bytes = der(0x30, &[oid, der(0x04, &basic)].concat());
        der(
            0x30,
            &[der(0x0a, &[0]), der(0xa0, &response_bytes)].concat(),
        )
    }

    #[test]
    fn reads_each_status_for_the_right_serial() {
        let good = response(&[0x0d, 0x80], &[0x80, 0x00]);
        assert_eq!(
            stapled_status(&good, &[0x0d, 0x80]),
            Some(RevocationStatus::Good)
        );
        assert_eq!(
            stapled_status(&good, &[0x00, 0x0d, 0x80]),
            Some(RevocationStatus::Good)
        );
        assert_eq!(stapled_status(&good, &[0x0d, 0x81]), None);
        let revoked = response(&[5], &der(0xa1, &der(0x18, b"20261101000000Z")));
        assert_eq!(
            stapled_status(&revoked, &[5]),
            Some(RevocationStatus::Revoked)
        );
        let unknown = response(&[5], &[0x82, 0x00]);
        assert_eq!(
            stapled_status(&unknown, &[5]),
            Some(RevocationStatus::Unknown)
        );
    }

    #[test]
    fn junk_and_unsuccessful_responses_give_nothing() {
        assert_eq!(stapled_status(&[], &[1]), None);
        assert_eq!(stapled_status(&[0x30, 0x03, 0x0a, 0x01, 0x01], &[1]), None); // malformedRequest
        assert_eq!(
            stapled_status(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], &[1]),
            None
        );
        let good = response(&[7], &[0x80, 0x00]);
        for cut in 0..good.len() {
            assert_eq!(stapled_status(&good[..cut], &[7]), None);
        }
    }
}
