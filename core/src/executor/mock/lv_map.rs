//! The logical volumes of one volume group, by name.
//!
//! A VG holds two LVs a brick (`tp_<id>` and `brick_<id>`); at 100,000 volumes that is
//! 600,000 entries. In a `BTreeMap<Name, Lv>` each took 137 bytes (a 40-byte name, a
//! 48-byte LV, nodes about 70% full). Here they are one sorted vector per VG, keyed by
//! a 24-byte [`LvKey`], grown by an eighth at a time: 64 to 70 bytes an entry. A VG
//! holds hundreds or a few thousand LVs, so an insert moves a few tens of kilobytes at
//! most.

use std::cmp::Ordering;
use std::fmt;

use super::name::Name;
use super::node::Lv;

/// An LV's name: a template with one id (`tp_<id>`, `brick_<id>`) as the id, anything
/// else as text. Ordered like the string it stands for.
#[derive(Clone)]
enum LvKey {
    Id { t: u8, a: [u8; 16] },
    Text(Box<str>),
}

const _: () = assert!(std::mem::size_of::<LvKey>() == 24);

const NO_ID: [u8; 16] = [0; 16];

impl LvKey {
    fn new(name: &Name) -> LvKey {
        match name.ids() {
            Some((t, a, b)) if *b == NO_ID => LvKey::Id { t, a: *a },
            _ => LvKey::Text(name.to_string().into()),
        }
    }

    fn name(&self) -> Name {
        match self {
            LvKey::Id { t, a } => Name::Ids {
                t: *t,
                a: *a,
                b: NO_ID,
            },
            LvKey::Text(s) => Name::Text(s.clone()),
        }
    }

    /// How this key compares with the name `n`, without allocating.
    fn cmp_name(&self, n: &Name) -> Ordering {
        match self {
            LvKey::Id { t, a } => Name::Ids {
                t: *t,
                a: *a,
                b: NO_ID,
            }
            .cmp(n),
            LvKey::Text(s) => n.cmp_str(s).reverse(),
        }
    }
}

impl fmt::Debug for LvKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.name(), f)
    }
}

/// LVs by name, iterated in name order.
#[derive(Clone, Debug, Default)]
pub(super) struct LvMap {
    /// Sorted by key.
    entries: Vec<(LvKey, Lv)>,
}

impl LvMap {
    fn find(&self, name: &Name) -> Result<usize, usize> {
        self.entries.binary_search_by(|(k, _)| k.cmp_name(name))
    }

    pub fn get(&self, name: &str) -> Option<&Lv> {
        let i = self.find(&Name::new(name)).ok()?;
        Some(&self.entries[i].1)
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut Lv> {
        let i = self.find(&Name::new(name)).ok()?;
        Some(&mut self.entries[i].1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(&Name::new(name)).is_ok()
    }

    /// Adds or replaces the LV `name`; the LV it replaced.
    pub fn insert(&mut self, name: &str, lv: Lv) -> Option<Lv> {
        let name = Name::new(name);
        match self.find(&name) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, lv)),
            Err(i) => {
                if self.entries.len() == self.entries.capacity() {
                    // An eighth more at a time: doubling would leave a quarter of the
                    // vector empty on average.
                    self.entries.reserve_exact((self.entries.len() / 8).max(4));
                }
                self.entries.insert(i, (LvKey::new(&name), lv));
                None
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Lv> {
        let i = self.find(&Name::new(name)).ok()?;
        let (_, lv) = self.entries.remove(i);
        let len = self.entries.len();
        if self.entries.capacity() > len + len / 4 + 8 {
            self.entries.shrink_to(len + len / 8);
        }
        Some(lv)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The LVs with their names, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (Name, &Lv)> + '_ {
        self.entries.iter().map(|(k, lv)| (k.name(), lv))
    }

    pub fn values(&self) -> impl Iterator<Item = &Lv> + '_ {
        self.entries.iter().map(|(_, lv)| lv)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::super::node::{LvKind, LvMount};
    use super::*;

    const X: &str = "0123456789abcdef0123456789abcdef";
    const Y: &str = "fedcba9876543210fedcba9876543210";
    const Z: &str = "00000000000000000000000000000000";

    /// Names of every kind an LV may have: Brickyard's, other templates, text that
    /// sorts among them.
    fn names() -> Vec<String> {
        let mut v = Vec::new();
        for id in [X, Y, Z] {
            v.extend([
                format!("tp_{id}"),
                format!("brick_{id}"),
                format!("vg_{id}"),
                id.to_string(),
                format!("vol_{id}"),
                format!("brick_{id}_snap"),
                format!("tp_{}", id.to_uppercase()),
            ]);
        }
        v.extend(
            [
                "brick", "brick_b1", "tp_b1", "", "a", "tp_", "brick_", "zz", "brick_0",
            ]
            .map(String::from),
        );
        v
    }

    fn lv(size: u64) -> Lv {
        Lv::new(LvKind::Thin {
            pool: None,
            virtual_kib: size,
        })
    }

    fn size(l: &Lv) -> u64 {
        match l.kind {
            LvKind::Thin { virtual_kib, .. } => virtual_kib,
            LvKind::Pool { data_kib, .. } => data_kib,
        }
    }

    proptest! {
        /// Any sequence of inserts and removes leaves the map as a `BTreeMap` of the
        /// names as strings: same lookups, same order, same names.
        #[test]
        fn an_lv_map_is_a_map_of_strings(
            ops in proptest::collection::vec((any::<bool>(), 0usize..30, 0u64..1000), 0..200)
        ) {
            let names = names();
            let mut map = LvMap::default();
            let mut model: BTreeMap<String, u64> = BTreeMap::new();
            for (add, i, s) in ops {
                let n = &names[i % names.len()];
                if add {
                    let old = map.insert(n, lv(s)).map(|l| size(&l));
                    prop_assert_eq!(old, model.insert(n.clone(), s));
                } else {
                    prop_assert_eq!(map.remove(n).map(|l| size(&l)), model.remove(n));
                }
                prop_assert!(map.entries.capacity() <= map.len() + map.len() / 4 + 8);
            }
            prop_assert_eq!(map.len(), model.len());
            prop_assert_eq!(map.is_empty(), model.is_empty());
            let listed: Vec<(String, u64)> =
                map.iter().map(|(n, l)| (n.to_string(), size(l))).collect();
            let expected: Vec<(String, u64)> = model.into_iter().collect();
            prop_assert_eq!(&listed, &expected);
            for n in &names {
                let want = expected.iter().find(|(k, _)| k == n).map(|(_, s)| *s);
                prop_assert_eq!(map.get(n).map(size), want);
                prop_assert_eq!(map.contains_key(n), want.is_some());
                if let Some(l) = map.get_mut(n) {
                    l.mount = LvMount::Listed;
                }
            }
            prop_assert!(map.values().all(Lv::mounted));
        }
    }
}
