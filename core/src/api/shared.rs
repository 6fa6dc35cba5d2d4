//! [`Shared`]: a value many records hold alike, stored once.

use std::collections::HashSet;
use std::hash::Hash;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that many records hold alike (every volume of a cluster lists the same
/// mount hosts), shared between them instead of copied: cloning it is a reference
/// count. On the wire and in the store it is the plain value; changing it through
/// `DerefMut` copies it first (copy on write), so it behaves as an owned value.
#[derive(Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shared<T>(Arc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared(self.0.clone())
    }
}

impl<T> Shared<T> {
    pub fn new(value: T) -> Shared<T> {
        Shared(Arc::new(value))
    }

    /// Whether `a` and `b` are the same stored value (not only equal).
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Shared<T> {
        Shared::new(value)
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: PartialEq> PartialEq<T> for Shared<T> {
    fn eq(&self, other: &T) -> bool {
        *self.0 == *other
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Shared<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shared<T>, D::Error> {
        T::deserialize(d).map(Shared::new)
    }
}

/// Keeps one copy of each distinct value: [`Interner::intern`] gives back the copy
/// already held when an equal value was seen before.
#[derive(Clone, Default)]
pub struct Interner<T: Eq + Hash> {
    seen: HashSet<Shared<T>>,
}

impl<T: Eq + Hash> Interner<T> {
    /// Replaces `value` by the equal copy already held, or holds it from now on.
    pub fn intern(&mut self, value: &mut Shared<T>) {
        match self.seen.get(value) {
            Some(held) => {
                if !Shared::ptr_eq(held, value) {
                    *value = held.clone();
                }
            }
            None => {
                self.seen.insert(value.clone());
            }
        }
    }

    /// Forgets the values no record holds any more.
    pub fn prune(&mut self) {
        self.seen.retain(|v| Arc::strong_count(&v.0) > 1);
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_are_held_once_and_a_change_copies() {
        let mut i = Interner::default();
        let mut a = Shared::new(vec!["h1".to_string(), "h2".to_string()]);
        let mut b = Shared::new(vec!["h1".to_string(), "h2".to_string()]);
        i.intern(&mut a);
        i.intern(&mut b);
        assert!(Shared::ptr_eq(&a, &b));
        assert_eq!(i.len(), 1);
        b.push("h3".into());
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 3);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"["h1","h2","h3"]"#);
        let back: Shared<Vec<String>> = serde_json::from_str(r#"["h1"]"#).unwrap();
        assert_eq!(back, vec!["h1".to_string()]);
        drop(a);
        i.prune();
        assert_eq!(i.len(), 0);
    }
}
