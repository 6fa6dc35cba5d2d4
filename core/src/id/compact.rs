//! Ids as the state keeps them in memory: 16 bytes for a canonical id (32 lowercase hex
//! digits, what [`crate::id::new_id`] makes and Heketi's `idgen.GenUUID` made), the text
//! itself for anything else. A `String` holding a canonical id costs 72 bytes (24 inline,
//! 48 on the heap); this costs 24 and no allocation.

use std::cmp::Ordering;

#[derive(Clone, PartialEq, Eq, Hash)]
pub enum CompactId {
    Hex([u8; 16]),
    Text(Box<str>),
}

impl Default for CompactId {
    fn default() -> CompactId {
        CompactId::Text(Box::default())
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl CompactId {
    pub fn new(s: &str) -> CompactId {
        match Self::hex(s) {
            Some(b) => CompactId::Hex(b),
            None => CompactId::Text(s.into()),
        }
    }

    /// The 16 bytes of a canonical id (32 lowercase hex digits), `None` for anything else.
    pub fn hex(s: &str) -> Option<[u8; 16]> {
        let s = s.as_bytes();
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, pair) in s.chunks_exact(2).enumerate() {
            out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(out)
    }

    fn render(b: &[u8; 16]) -> [u8; 32] {
        let mut out = [0u8; 32];
        for (i, byte) in b.iter().enumerate() {
            out[2 * i] = HEX[usize::from(byte >> 4)];
            out[2 * i + 1] = HEX[usize::from(byte & 0xf)];
        }
        out
    }

    /// Calls `f` with the id's text (no allocation).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            CompactId::Hex(b) => {
                let text = Self::render(b);
                // Only ASCII hex digits were written.
                f(std::str::from_utf8(&text).unwrap_or_default())
            }
            CompactId::Text(s) => f(s),
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, CompactId::Text(s) if s.is_empty())
    }

    /// Whether this is the id `s`.
    pub fn is(&self, s: &str) -> bool {
        match self {
            CompactId::Hex(b) => Self::hex(s).as_ref() == Some(b),
            CompactId::Text(t) => **t == *s,
        }
    }

    /// Orders as the ids' texts order (canonical ids among themselves by their bytes,
    /// which is the same order).
    pub fn cmp_str(&self, other: &str) -> Ordering {
        match self {
            CompactId::Hex(b) => Self::render(b).as_slice().cmp(other.as_bytes()),
            CompactId::Text(t) => t.as_bytes().cmp(other.as_bytes()),
        }
    }
}

impl std::fmt::Display for CompactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl std::fmt::Debug for CompactId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.with_str(|s| write!(f, "{s:?}"))
    }
}

impl From<&str> for CompactId {
    fn from(s: &str) -> CompactId {
        CompactId::new(s)
    }
}

impl From<&CompactId> for String {
    fn from(id: &CompactId) -> String {
        id.with_str(str::to_string)
    }
}

impl Ord for CompactId {
    fn cmp(&self, other: &CompactId) -> Ordering {
        match (self, other) {
            (CompactId::Hex(a), CompactId::Hex(b)) => a.cmp(b),
            (a, CompactId::Text(b)) => a.cmp_str(b),
            (CompactId::Text(a), b) => b.cmp_str(a).reverse(),
        }
    }
}

impl PartialOrd for CompactId {
    fn partial_cmp(&self, other: &CompactId) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn id_text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-f]{32}",
            "[0-9a-fA-F]{31,33}",
            "[a-z0-9_-]{0,8}",
            Just(String::new()),
        ]
    }

    proptest! {
        /// Whatever the text, it comes back unchanged, and ids order and compare as
        /// their texts do.
        #[test]
        fn ids_keep_their_text_and_order(a in id_text(), b in id_text()) {
            let (ia, ib) = (CompactId::new(&a), CompactId::new(&b));
            prop_assert_eq!(String::from(&ia), a.clone());
            prop_assert_eq!(ia.cmp(&ib), a.cmp(&b));
            prop_assert_eq!(ia == ib, a == b);
            prop_assert!(ia.is(&a));
            prop_assert_eq!(ia.is(&b), a == b);
            prop_assert_eq!(ia.cmp_str(&b), a.cmp(&b));
            prop_assert_eq!(ia.is_empty(), a.is_empty());
        }
    }

    #[test]
    fn canonical_ids_take_no_heap() {
        let id = crate::id::new_id();
        assert!(matches!(CompactId::new(&id), CompactId::Hex(_)));
        assert!(matches!(
            CompactId::new(&id.to_uppercase()),
            CompactId::Text(_)
        ));
        assert_eq!(std::mem::size_of::<CompactId>(), 24);
    }
}
