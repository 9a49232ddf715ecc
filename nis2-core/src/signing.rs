//! Webhook signatures: HMAC-SHA256 of the exact body, lowercase hex, sent in
//! the `X-NIS2-Signature` header. This is what the seed's Python `verify`
//! computes (`hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()`).

use hmac::{KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const SIGNATURE_HEADER: &str = "X-NIS2-Signature";

type HmacSha256 = hmac::Hmac<Sha256>;

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    m.update(body);
    m
}

#[cold]
fn unreachable_hmac() -> ! {
    // hmac::Hmac accepts every key length (RFC 2104 hashes long keys).
    panic!("HMAC rejected a key; hmac crate contract changed")
}

/// Signs `body` with `secret`: 64 lowercase hex characters.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    hex::encode(mac(secret, body).finalize().into_bytes())
}

/// Checks a signature in constant time. Upper- or lowercase hex is accepted;
/// anything else, or the wrong length, is a [`crate::Error::MalformedSignature`].
pub fn verify(secret: &[u8], body: &[u8], signature: &str) -> Result<bool, crate::Error> {
    let sig = signature.trim();
    if sig.len() != 64 {
        return Err(crate::Error::MalformedSignature {
            reason: format!("expected 64 hex characters, got {}", sig.len()),
        });
    }
    let bytes = hex::decode(sig).map_err(|e| crate::Error::MalformedSignature {
        reason: e.to_string(),
    })?;
    Ok(mac(secret, body).verify_slice(&bytes).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            sign(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_own_and_rejects_tampering() {
        let body = br#"{"event":"scan_completed"}"#;
        let sig = sign(b"s3cret", body);
        assert_eq!(sig.len(), 64);
        assert!(
            sig.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
        assert!(verify(b"s3cret", body, &sig).unwrap());
        assert!(verify(b"s3cret", body, &sig.to_uppercase()).unwrap());
        assert!(!verify(b"other", body, &sig).unwrap());
        assert!(!verify(b"s3cret", b"{}", &sig).unwrap());
        assert!(verify(b"s3cret", body, "abc").is_err());
        assert!(verify(b"s3cret", body, &"zz".repeat(32)).is_err());
    }
}
