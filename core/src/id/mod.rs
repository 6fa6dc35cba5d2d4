//! Identifiers: 16 random bytes as 32 lowercase hex characters, like Heketi's `idgen.GenUUID`.

mod compact;

use rand::RngCore;

pub use compact::CompactId;

/// A fresh random id (32 lowercase hex characters).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 0xf), 16).unwrap_or('0'));
    }
    s
}

/// True when `s` is a well-formed id: exactly 32 hexadecimal characters.
pub fn is_valid_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_lowercase_hex_and_distinct() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid_id(&a), "{a}");
        assert!(a.bytes().all(|c| !c.is_ascii_uppercase()));
        assert_ne!(a, b);
        assert!(!is_valid_id("xyz"));
        assert!(!is_valid_id(&a[..31]));
    }
}
