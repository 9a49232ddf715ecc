//! Cheap text building for evidence and summaries (the hot path of
//! evaluation): no formatting machinery, and evidence inline while it fits.

use crate::Timestamp;
use crate::evidence::Builder;

/// Something that can be appended to evidence text.
pub(crate) trait Piece {
    /// Bytes it will take (an estimate is fine).
    fn size(&self) -> usize;
    /// Appends it.
    fn put(&self, out: &mut Builder);
}

impl Piece for &str {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut Builder) {
        out.push_str(self);
    }
}

impl Piece for &String {
    fn size(&self) -> usize {
        self.len()
    }
    fn put(&self, out: &mut Builder) {
        out.push_str(self);
    }
}

impl Piece for char {
    fn size(&self) -> usize {
        self.len_utf8()
    }
    fn put(&self, out: &mut Builder) {
        out.push_str(self.encode_utf8(&mut [0u8; 4]));
    }
}

impl Piece for Timestamp {
    fn size(&self) -> usize {
        20
    }
    fn put(&self, out: &mut Builder) {
        self.put_to(out);
    }
}

/// Appends the decimal digits of `n`.
pub(crate) fn push_int(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

macro_rules! int_piece {
    ($($t:ty),*) => {$(
        impl Piece for $t {
            fn size(&self) -> usize {
                4
            }
            fn put(&self, out: &mut Builder) {
                out.push_str(itoa::Buffer::new().format(*self as i64));
            }
        }
    )*};
}
int_piece!(u8, u16, u32, i64, usize);

/// Concatenates pieces into new evidence: `cat!("expires in ", days, " days")`.
macro_rules! cat {
    ($($p:expr),+ $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::text::Piece as _;
        let mut b = $crate::evidence::Builder::new(0 $(+ ($p).size())+);
        $( ($p).put(&mut b); )+
        b.finish()
    }};
}
pub(crate) use cat;

#[cfg(test)]
mod tests {
    #[test]
    fn concatenates() {
        let name = String::from("x");
        let t = crate::Timestamp::parse("2026-01-02T03:04:05Z").unwrap();
        assert_eq!(
            cat!("a ", 42u8, ' ', -7i64, " ", &name, " ", 0usize, " ", t),
            "a 42 -7 x 0 2026-01-02T03:04:05Z"
        );
        assert_eq!(cat!(u32::MAX), "4294967295");
    }
}
