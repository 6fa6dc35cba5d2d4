use std::collections::BTreeMap;

use super::records::RecordSource;

/// Copy-on-write view of one table for a transaction.
pub struct Overlay<'s, T: Clone, B: RecordSource<T> = BTreeMap<String, T>> {
    base: &'s B,
    changes: BTreeMap<String, Option<T>>,
}

impl<'s, T: Clone, B: RecordSource<T>> Overlay<'s, T, B> {
    pub fn new(base: &'s B) -> Self {
        Overlay {
            base,
            changes: BTreeMap::new(),
        }
    }

    pub fn get(&self, id: impl AsRef<str>) -> Option<B::Ref<'_>> {
        let id = id.as_ref();
        match self.changes.get(id) {
            Some(v) => v.as_ref().map(B::borrowed),
            None => self.base.lookup(id),
        }
    }

    pub fn contains(&self, id: &str) -> bool {
        match self.changes.get(id) {
            Some(v) => v.is_some(),
            None => self.base.lookup(id).is_some(),
        }
    }

    /// A mutable copy of the record, written back at commit.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        if !self.changes.contains_key(id) {
            let v = T::clone(&*self.base.lookup(id)?);
            self.changes.insert(id.to_string(), Some(v));
        }
        self.changes.get_mut(id).and_then(Option::as_mut)
    }

    pub fn put(&mut self, id: &str, v: T) {
        self.changes.insert(id.to_string(), Some(v));
    }

    pub fn remove(&mut self, id: &str) {
        self.changes.insert(id.to_string(), None);
    }

    /// Every live record (base merged with this transaction's writes), by id.
    pub fn iter(&self) -> impl Iterator<Item = (B::Key<'_>, B::Ref<'_>)> {
        let base = self
            .base
            .entries()
            .filter(|(k, _)| !self.changes.contains_key(k.as_str()));
        let changed = self
            .changes
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (B::borrowed_key(k), B::borrowed(v))));
        base.chain(changed)
    }

    pub fn into_changes(self) -> BTreeMap<String, Option<T>> {
        self.changes
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_writes_and_base_is_untouched() {
        let mut base = BTreeMap::new();
        base.insert("a".to_string(), 1);
        base.insert("b".to_string(), 2);
        let mut o = Overlay::new(&base);
        *o.get_mut("a").unwrap() = 10;
        o.remove("b");
        o.put("c", 3);
        assert_eq!(o.get("a"), Some(&10));
        assert_eq!(o.get("b"), None);
        let mut all: Vec<_> = o.iter().map(|(k, v)| (k.clone(), *v)).collect();
        all.sort();
        assert_eq!(all, vec![("a".into(), 10), ("c".into(), 3)]);
        assert!(o.get_mut("zz").is_none());
        let ch = o.into_changes();
        assert_eq!(ch.len(), 3);
        assert_eq!(base.get("a"), Some(&1));
    }
}
