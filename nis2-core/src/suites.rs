//! Classification of TLS cipher suites by their IANA names.
//!
//! IANA names are systematic (`TLS_<kex>_WITH_<cipher>_<mac>`; TLS 1.3 suites
//! are `TLS_<aead>_<hash>`), so one function classifies every suite a scanner
//! can meet, including ones added after this was written.

/// Why a suite is weak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weakness {
    /// No encryption.
    Null,
    /// Export-grade (40/56-bit) cryptography.
    Export,
    /// Anonymous key exchange (no server authentication).
    Anonymous,
    /// RC4 stream cipher.
    Rc4,
    /// Single DES or triple DES.
    Des,
}

impl Weakness {
    /// A short name, e.g. `3DES/DES`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Export => "EXPORT",
            Self::Anonymous => "anonymous",
            Self::Rc4 => "RC4",
            Self::Des => "DES/3DES",
        }
    }
}

/// What a suite's name says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteClass {
    /// The first weakness found, if any.
    pub weakness: Option<Weakness>,
    /// Ephemeral (EC)DHE key exchange, or a TLS 1.3 suite.
    pub forward_secrecy: bool,
    /// CBC mode.
    pub cbc: bool,
    /// AEAD cipher (GCM, CCM, ChaCha20-Poly1305).
    pub aead: bool,
}

/// A word of up to eight ASCII letters and digits, packed into an integer
/// so that a word is compared with it in two instructions (see [`is`]).
#[derive(Clone, Copy)]
struct Pat {
    /// The bytes in lower case, little-endian, zero-padded.
    lower: u64,
    /// `0x20` at each letter's byte: OR-ing it in lowers an ASCII letter
    /// (and only maps the other case of the same letter onto it).
    fold: u64,
}

const fn pat(p: &[u8]) -> Pat {
    let (mut lower, mut fold) = (0u64, 0u64);
    let mut i = 0;
    while i < p.len() {
        let b = p[i].to_ascii_lowercase();
        lower |= (b as u64) << (8 * i);
        if b.is_ascii_lowercase() {
            fold |= 0x20 << (8 * i);
        }
        i += 1;
    }
    Pat { lower, fold }
}

/// `x` (a loaded word) equals the pattern, ASCII case-insensitively. Only
/// meaningful between words of the same length (callers match on it).
#[inline]
fn is(x: u64, p: Pat) -> bool {
    x | p.fold == p.lower
}

const WITH: Pat = pat(b"WITH");
const RC4: Pat = pat(b"RC4");
const DES: Pat = pat(b"DES");
const CBC: Pat = pat(b"CBC");
const GCM: Pat = pat(b"GCM");
const CCM: Pat = pat(b"CCM");
const NULL: Pat = pat(b"NULL");
const ANON: Pat = pat(b"ANON");
const TDES: Pat = pat(b"3DES");
const CCM8: Pat = pat(b"CCM8");
const DES40: Pat = pat(b"DES40");
const CBC40: Pat = pat(b"CBC40");
const EXPORT: Pat = pat(b"EXPORT");
const CHACHA20: Pat = pat(b"CHACHA20");
const POLY1305: Pat = pat(b"POLY1305");
const DHE: Pat = pat(b"DHE");
const ECDHE: Pat = pat(b"ECDHE");

/// Classifies a suite by its IANA name (case-insensitive). `None` when the
/// name is not a TLS/SSL suite name at all.
pub fn classify(name: &str) -> Option<SuiteClass> {
    // Names as scanners write them need no trimming; look before calling
    // the (Unicode) trim.
    let b = name.as_bytes();
    let name = match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_alphanumeric() && l.is_ascii_alphanumeric() => name,
        _ => name.trim(),
    };
    let prefix = name.get(..4)?;
    if !(prefix.eq_ignore_ascii_case("TLS_") || prefix.eq_ignore_ascii_case("SSL_")) {
        return None;
    }
    // One pass over the `_`-separated words; the key exchange is everything
    // before `WITH` (TLS 1.3 names have none: always ephemeral).
    let mut in_kex = true;
    let mut saw_with = false;
    let (mut kex_len, mut kex) = (0usize, 0u64);
    let (mut null, mut export, mut anon, mut rc4, mut des) = (false, false, false, false, false);
    let (mut cbc, mut aead, mut chacha) = (false, false, false);
    let rest = &name.as_bytes()[4..];
    // Each word is packed while it is scanned: every byte is shifted in
    // from the top, so after `len` bytes the last min(len, 8) of them sit in
    // the top bytes of `k`; shifted down they are the word's bytes,
    // little-endian, zero-padded (see `is`) whenever len <= 8. The end of
    // the name acts as one more `_`.
    let (mut start, mut len, mut k) = (0usize, 0usize, 0u64);
    let mut i = 0;
    loop {
        let c = rest.get(i).copied();
        if let Some(c) = c
            && c != b'_'
        {
            k = (k >> 8) | (u64::from(c) << 56);
            len += 1;
            i += 1;
            continue;
        }
        // A word ends at `i`: judge it.
        let k = match len {
            0 => 0,
            1..8 => k >> (64 - 8 * len),
            _ => k,
        };
        if len == 4 && is(k, WITH) {
            in_kex = false;
            saw_with = true;
        } else {
            if in_kex && kex_len == 0 {
                (kex_len, kex) = (len, k);
            }
            // Dispatch on length first: most words match no pattern at all.
            match len {
                3 => {
                    rc4 |= is(k, RC4);
                    des |= is(k, DES);
                    cbc |= is(k, CBC);
                    aead |= is(k, GCM) || is(k, CCM);
                }
                4 => {
                    null |= is(k, NULL);
                    anon |= is(k, ANON);
                    des |= is(k, TDES);
                    aead |= is(k, CCM8);
                }
                5 => {
                    export |= is(k, DES40);
                    des |= is(k, DES40);
                    cbc |= is(k, CBC40);
                }
                6 => export |= is(k, EXPORT),
                8 => {
                    chacha |= is(k, CHACHA20);
                    aead |= chacha && is(k, POLY1305);
                }
                10 => export |= rest[start..i].eq_ignore_ascii_case(b"EXPORT1024"),
                _ => {}
            }
        }
        if c.is_none() {
            break;
        }
        i += 1;
        (start, len) = (i, 0);
    }
    // Only a name with `WITH` carries a key exchange; anonymous is a kex word.
    let anon = anon && saw_with;
    let weakness = if null {
        Some(Weakness::Null)
    } else if export {
        Some(Weakness::Export)
    } else if anon {
        Some(Weakness::Anonymous)
    } else if rc4 {
        Some(Weakness::Rc4)
    } else if des {
        Some(Weakness::Des)
    } else {
        None
    };
    let ephemeral = (kex_len == 3 && is(kex, DHE)) || (kex_len == 5 && is(kex, ECDHE));
    let forward_secrecy = !saw_with || (!anon && ephemeral);
    Some(SuiteClass {
        weakness,
        forward_secrecy,
        cbc,
        aead,
    })
}

/// The suites servers commonly choose, by IANA code point (ascending),
/// with their names and what [`classify`] says of them (a unit test holds
/// every row to that). Evaluation looks a suite up here first: finding the
/// row and comparing the name is much cheaper than reading the name.
const KNOWN: &[(u16, &str, SuiteClass)] = &[
    (
        0x0004,
        "TLS_RSA_WITH_RC4_128_MD5",
        class(Some(Weakness::Rc4), false, false, false),
    ),
    (
        0x0005,
        "TLS_RSA_WITH_RC4_128_SHA",
        class(Some(Weakness::Rc4), false, false, false),
    ),
    (
        0x000a,
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        class(Some(Weakness::Des), false, true, false),
    ),
    (
        0x0016,
        "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        class(Some(Weakness::Des), true, true, false),
    ),
    (
        0x002f,
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        class(None, false, true, false),
    ),
    (
        0x0033,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0x0035,
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        class(None, false, true, false),
    ),
    (
        0x0039,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0x003c,
        "TLS_RSA_WITH_AES_128_CBC_SHA256",
        class(None, false, true, false),
    ),
    (
        0x003d,
        "TLS_RSA_WITH_AES_256_CBC_SHA256",
        class(None, false, true, false),
    ),
    (
        0x0041,
        "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA",
        class(None, false, true, false),
    ),
    (
        0x0067,
        "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
        class(None, true, true, false),
    ),
    (
        0x006b,
        "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
        class(None, true, true, false),
    ),
    (
        0x0084,
        "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA",
        class(None, false, true, false),
    ),
    (
        0x009c,
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        class(None, false, false, true),
    ),
    (
        0x009d,
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        class(None, false, false, true),
    ),
    (
        0x009e,
        "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        class(None, true, false, true),
    ),
    (
        0x009f,
        "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
        class(None, true, false, true),
    ),
    (
        0x00c0,
        "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256",
        class(None, false, true, false),
    ),
    (
        0x1301,
        "TLS_AES_128_GCM_SHA256",
        class(None, true, false, true),
    ),
    (
        0x1302,
        "TLS_AES_256_GCM_SHA384",
        class(None, true, false, true),
    ),
    (
        0x1303,
        "TLS_CHACHA20_POLY1305_SHA256",
        class(None, true, false, true),
    ),
    (
        0x1304,
        "TLS_AES_128_CCM_SHA256",
        class(None, true, false, true),
    ),
    (
        0x1305,
        "TLS_AES_128_CCM_8_SHA256",
        class(None, true, false, true),
    ),
    (
        0xc007,
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        class(Some(Weakness::Rc4), true, false, false),
    ),
    (
        0xc009,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0xc00a,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0xc011,
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        class(Some(Weakness::Rc4), true, false, false),
    ),
    (
        0xc012,
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        class(Some(Weakness::Des), true, true, false),
    ),
    (
        0xc013,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0xc014,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        class(None, true, true, false),
    ),
    (
        0xc023,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        class(None, true, true, false),
    ),
    (
        0xc024,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
        class(None, true, true, false),
    ),
    (
        0xc027,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        class(None, true, true, false),
    ),
    (
        0xc028,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
        class(None, true, true, false),
    ),
    (
        0xc02b,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        class(None, true, false, true),
    ),
    (
        0xc02c,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        class(None, true, false, true),
    ),
    (
        0xc02f,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        class(None, true, false, true),
    ),
    (
        0xc030,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        class(None, true, false, true),
    ),
    (
        0xc0ac,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        class(None, true, false, true),
    ),
    (
        0xc0ad,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
        class(None, true, false, true),
    ),
    (
        0xcca8,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        class(None, true, false, true),
    ),
    (
        0xcca9,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        class(None, true, false, true),
    ),
    (
        0xccaa,
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        class(None, true, false, true),
    ),
];

const fn class(
    weakness: Option<Weakness>,
    forward_secrecy: bool,
    cbc: bool,
    aead: bool,
) -> SuiteClass {
    SuiteClass {
        weakness,
        forward_secrecy,
        cbc,
        aead,
    }
}

/// Classifies an accepted suite: from [`KNOWN`] when its code point and
/// name are a known pair, else by [`classify`]ing the name. Always the same
/// answer as `classify(name)`.
pub(crate) fn classify_accepted(id: u16, name: &str) -> Option<SuiteClass> {
    match KNOWN.binary_search_by_key(&id, |row| row.0) {
        Ok(i) if KNOWN[i].1 == name => Some(KNOWN[i].2),
        _ => classify(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: &str) -> SuiteClass {
        classify(n).unwrap()
    }

    /// The first, plain implementation (words compared as strings), kept
    /// to check the packed one against.
    fn reference(name: &str) -> Option<SuiteClass> {
        let name = name.trim();
        let prefix = name.get(..4)?;
        if !(prefix.eq_ignore_ascii_case("TLS_") || prefix.eq_ignore_ascii_case("SSL_")) {
            return None;
        }
        // One pass over the `_`-separated words; the key exchange is everything
        // before `WITH` (TLS 1.3 names have none: always ephemeral).
        let is = |w: &str, pat: &str| w.eq_ignore_ascii_case(pat);
        let mut in_kex = true;
        let mut saw_with = false;
        let mut kex_first = "";
        let (mut null, mut export, mut anon, mut rc4, mut des) =
            (false, false, false, false, false);
        let (mut cbc, mut aead, mut chacha) = (false, false, false);
        for w in crate::parse::split_at_byte(&name[4..], b'_') {
            if is(w, "WITH") {
                in_kex = false;
                saw_with = true;
                continue;
            }
            if in_kex && kex_first.is_empty() {
                kex_first = w;
            }
            // Dispatch on length first: most words match no pattern at all.
            match w.len() {
                3 => {
                    rc4 |= is(w, "RC4");
                    des |= is(w, "DES");
                    cbc |= is(w, "CBC");
                    aead |= is(w, "GCM") || is(w, "CCM");
                }
                4 => {
                    null |= is(w, "NULL");
                    anon |= is(w, "anon");
                    des |= is(w, "3DES");
                    aead |= is(w, "CCM8");
                }
                5 => {
                    export |= is(w, "DES40");
                    des |= is(w, "DES40");
                    cbc |= is(w, "CBC40");
                }
                6 => export |= is(w, "EXPORT"),
                8 => {
                    chacha |= is(w, "CHACHA20");
                    aead |= chacha && is(w, "POLY1305");
                }
                10 => export |= is(w, "EXPORT1024"),
                _ => {}
            }
        }
        // Only a name with `WITH` carries a key exchange; anonymous is a kex word.
        let anon = anon && saw_with;
        if !saw_with {
            kex_first = "";
        }
        let weakness = if null {
            Some(Weakness::Null)
        } else if export {
            Some(Weakness::Export)
        } else if anon {
            Some(Weakness::Anonymous)
        } else if rc4 {
            Some(Weakness::Rc4)
        } else if des {
            Some(Weakness::Des)
        } else {
            None
        };
        let forward_secrecy =
            !saw_with || (!anon && (is(kex_first, "DHE") || is(kex_first, "ECDHE")));
        Some(SuiteClass {
            weakness,
            forward_secrecy,
            cbc,
            aead,
        })
    }

    proptest::proptest! {
        #[test]
        fn packed_words_classify_like_the_plain_implementation(
            words in proptest::collection::vec(proptest::sample::select(vec![
                "TLS", "SSL", "tls", "WITH", "with", "With", "RSA", "ECDHE", "ecdhe", "DHE", "DH",
                "ECDH", "anon", "ANON", "EXPORT", "export", "EXPORT1024", "export1024", "RC4",
                "rc4", "DES", "des", "3DES", "DES40", "CBC40", "CBC", "cbc", "GCM", "CCM", "CCM8",
                "CHACHA20", "chacha20", "POLY1305", "NULL", "null", "AES", "128", "256", "SHA",
                "SHA256", "EDE", "MD5", "", " ", "é", "RC\u{14}", "ÉCDHE", "WITHX", "DES4",
            ]), 0..9),
            pad in proptest::sample::select(vec!["", " ", "\t", "\u{85}", "\u{3000}"]),
        ) {
            let name = format!("{pad}{}{pad}", words.join("_"));
            proptest::prop_assert_eq!(classify(&name), reference(&name), "{:?}", name);
        }
    }

    #[test]
    fn known_suites_are_classified_as_their_names_say() {
        assert!(
            KNOWN.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted by code point"
        );
        for (id, name, class) in KNOWN {
            assert_eq!(classify(name), Some(*class), "{id:#06x} {name}");
            assert_eq!(classify_accepted(*id, name), Some(*class));
        }
        // A name that does not go with the code point is read.
        assert_eq!(
            classify_accepted(0xc02f, "TLS_RSA_WITH_RC4_128_SHA"),
            classify("TLS_RSA_WITH_RC4_128_SHA")
        );
        assert_eq!(classify_accepted(0x1301, ""), None);
        assert_eq!(classify_accepted(0, "junk"), None);
    }

    #[test]
    fn classifies() {
        let good = c("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        assert_eq!(
            good,
            SuiteClass {
                weakness: None,
                forward_secrecy: true,
                cbc: false,
                aead: true
            }
        );
        assert!(c("TLS_AES_256_GCM_SHA384").forward_secrecy);
        assert!(c("TLS_CHACHA20_POLY1305_SHA256").aead);
        let rsa = c("TLS_RSA_WITH_AES_128_CBC_SHA");
        assert!(!rsa.forward_secrecy && rsa.cbc && rsa.weakness.is_none());
        assert!(!c("TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA").forward_secrecy);
        assert!(!c("TLS_DH_RSA_WITH_AES_128_CBC_SHA").forward_secrecy);
        assert!(c("TLS_DHE_RSA_WITH_AES_128_CBC_SHA").forward_secrecy);
        assert_eq!(
            c("TLS_RSA_WITH_3DES_EDE_CBC_SHA").weakness,
            Some(Weakness::Des)
        );
        assert_eq!(c("TLS_RSA_WITH_DES_CBC_SHA").weakness, Some(Weakness::Des));
        assert_eq!(c("TLS_RSA_WITH_RC4_128_SHA").weakness, Some(Weakness::Rc4));
        assert_eq!(
            c("TLS_RSA_EXPORT_WITH_RC4_40_MD5").weakness,
            Some(Weakness::Export)
        );
        assert_eq!(c("TLS_RSA_WITH_NULL_SHA256").weakness, Some(Weakness::Null));
        assert_eq!(c("TLS_NULL_WITH_NULL_NULL").weakness, Some(Weakness::Null));
        assert_eq!(
            c("TLS_DH_anon_WITH_AES_128_CBC_SHA").weakness,
            Some(Weakness::Anonymous)
        );
        assert_eq!(
            c("TLS_ECDH_anon_WITH_AES_256_CBC_SHA").weakness,
            Some(Weakness::Anonymous)
        );
        assert_eq!(
            c("SSL_RSA_EXPORT_WITH_DES40_CBC_SHA").weakness,
            Some(Weakness::Export)
        );
        assert!(c("TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8").aead);
        assert!(classify("").is_none());
        assert!(classify("AES128-SHA").is_none());
    }
}
