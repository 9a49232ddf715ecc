//! The evidence text of a finding: what was seen, in a few words.
//!
//! Evaluation writes one piece of evidence per finding, most of them fixed
//! sentences, the rest short texts made of a template and an observed value
//! (`expires in 20 days (2026-07-17T10:00:00Z)`). [`Evidence`] keeps fixed
//! sentences as `&'static str`, texts of up to [`Evidence::INLINE`] bytes
//! inside the value itself, and only longer ones on the heap: a scan's
//! findings cost one allocation (the vector) instead of one per made text.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes of text kept inside an [`Evidence`] value (it is 56 bytes in all).
const INLINE: usize = 54;

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    /// `buf[..len]` is UTF-8: it is only ever filled from whole `&str`s.
    Inline {
        len: u8,
        buf: [u8; INLINE],
    },
    Heap(String),
}

/// Evidence text: a `str` that is fixed, kept inline or on the heap (see
/// the module). Reads as a `&str` (`Deref`, `AsRef`, `Display`), compares
/// with strings, and is a plain JSON string.
#[derive(Clone)]
pub struct Evidence(Repr);

impl Evidence {
    /// Texts up to this many bytes need no allocation.
    pub const INLINE: usize = INLINE;

    /// A fixed text.
    pub const fn from_static(s: &'static str) -> Self {
        Evidence(Repr::Static(s))
    }

    /// A copy of `s`: inline when short enough, else on the heap.
    pub fn copy_of(s: &str) -> Self {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Evidence(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            Evidence(Repr::Heap(s.to_owned()))
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            // Always valid (see `Repr`); the empty text is never reached.
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or("")
            }
            Repr::Heap(s) => s,
        }
    }

    /// Whether the text is held on the heap.
    #[cfg(test)]
    fn is_on_heap(&self) -> bool {
        matches!(self.0, Repr::Heap(_))
    }
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence::from_static("")
    }
}

impl Deref for Evidence {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Evidence {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Evidence {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Evidence {
    fn from(s: &'static str) -> Self {
        Evidence::from_static(s)
    }
}

impl From<String> for Evidence {
    /// Inline when short enough (the string's buffer is freed), else the
    /// string itself.
    fn from(s: String) -> Self {
        if s.len() <= INLINE {
            Evidence::copy_of(&s)
        } else {
            Evidence(Repr::Heap(s))
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Evidence {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Evidence {}

impl Hash for Evidence {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for Evidence {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Evidence {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Evidence {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Evidence;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Evidence, E> {
                Ok(Evidence::copy_of(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Evidence, E> {
                Ok(Evidence::from(s))
            }
        }
        d.deserialize_string(V)
    }
}

/// Builds evidence text from pieces: inline while it fits, on the heap
/// from the first piece that does not (or from the start, when the
/// expected size is already too large).
pub(crate) struct Builder {
    len: usize,
    buf: [u8; INLINE],
    heap: Option<String>,
}

impl Builder {
    /// An empty text of about `hint` bytes.
    #[inline(always)]
    pub(crate) fn new(hint: usize) -> Self {
        Builder {
            len: 0,
            buf: [0u8; INLINE],
            heap: (hint > INLINE).then(|| String::with_capacity(hint)),
        }
    }

    /// Appends `s`.
    #[inline(always)]
    pub(crate) fn push_str(&mut self, s: &str) {
        if let Some(h) = &mut self.heap {
            h.push_str(s);
        } else {
            self.push_inline(s.as_bytes());
        }
    }

    /// Appends bytes that the caller knows to be UTF-8 (whole characters);
    /// inline they are taken as they are, the heap checks them.
    #[inline(always)]
    pub(crate) fn push_utf8(&mut self, s: &[u8]) {
        if let Some(h) = &mut self.heap {
            h.push_str(std::str::from_utf8(s).unwrap_or(""));
        } else {
            self.push_inline(s);
        }
    }

    #[inline(always)]
    fn push_inline(&mut self, s: &[u8]) {
        let end = self.len + s.len();
        if end <= INLINE {
            self.buf[self.len..end].copy_from_slice(s);
            self.len = end;
        } else {
            self.spill(s);
        }
    }

    #[cold]
    fn spill(&mut self, s: &[u8]) {
        let mut h = String::with_capacity(self.len + s.len());
        h.push_str(std::str::from_utf8(&self.buf[..self.len]).unwrap_or(""));
        h.push_str(std::str::from_utf8(s).unwrap_or(""));
        self.heap = Some(h);
    }

    /// The text made.
    #[inline(always)]
    pub(crate) fn finish(self) -> Evidence {
        match self.heap {
            Some(h) => Evidence(Repr::Heap(h)),
            None => Evidence(Repr::Inline {
                len: self.len as u8,
                buf: self.buf,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_stay_inline_and_long_ones_go_to_the_heap() {
        assert_eq!(std::mem::size_of::<Evidence>(), 56);
        let fixed = Evidence::from_static("TLSv1.3 accepted");
        assert_eq!(fixed, "TLSv1.3 accepted");
        assert!(!fixed.is_on_heap());
        for n in [0, 1, INLINE - 1, INLINE, INLINE + 1, 200] {
            let text: String = "é".repeat(n / 2) + &"x".repeat(n % 2);
            let e = Evidence::from(text.clone());
            assert_eq!(e.as_str(), text);
            assert_eq!(e.is_on_heap(), text.len() > INLINE, "{n}");
            assert_eq!(Evidence::copy_of(&text), e);
            let json = serde_json::to_string(&e).unwrap();
            assert_eq!(json, serde_json::to_string(&text).unwrap());
            let back: Evidence = serde_json::from_str(&json).unwrap();
            assert_eq!(back, e);
        }
    }

    #[test]
    fn the_builder_spills_whole_pieces() {
        let long = "z".repeat(100);
        let y53 = "y".repeat(53);
        for pieces in [
            vec!["a", "b"],
            vec!["x"; 54],
            vec!["x"; 55],
            vec!["cookie `", "ééééééééééééééééééééééééé", "` lacks Secure"],
            vec![y53.as_str(), "é"],
            vec!["", long.as_str()],
        ] {
            let expected: String = pieces.concat();
            for hint in [0, 8, INLINE, INLINE + 1, 200] {
                let mut b = Builder::new(hint);
                for p in &pieces {
                    b.push_str(p);
                }
                let e = b.finish();
                assert_eq!(e, expected, "hint {hint}");
                assert_eq!(e.is_on_heap(), expected.len() > INLINE || hint > INLINE);
            }
        }
    }
}
