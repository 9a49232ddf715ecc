//! Reads the certificate status out of a stapled OCSP response (RFC 6960).
//!
//! Only the status of the single response whose serial number is the
//! leaf's is read. The response's signature is not verified: a stapled
//! response comes from the server being judged, which can only lie about
//! itself, and an unverifiable "revoked" is still worth reporting.

use nis2_core::observations::RevocationStatus;

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
    const SEQUENCE: u8 = 0x30;
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
    let (tbs, _) = tlv(basic.content)?;
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
