//! A sorted map kept as sorted chunks: vectors of at most [`CHUNK`] entries, each
//! grown an eighth at a time.
//!
//! Records keyed by random ids go into a `BTreeMap` in random order, which leaves its
//! nodes about 70% full: at 100,000 volumes the brick table took 204 bytes a brick for
//! 136 bytes of key and record. Here the slack is what the chunks' vectors keep, an
//! eighth at most: about 145 bytes a brick. A lookup is a binary search among the
//! chunks' last keys (one small vector), then within one chunk; an insert moves at
//! most a chunk's entries.

/// Entries a chunk holds at most before it splits in two.
const CHUNK: usize = 512;

#[derive(Clone)]
pub struct ChunkMap<K, V> {
    /// Non-empty, sorted, each key below the next chunk's.
    chunks: Vec<Vec<(K, V)>>,
    /// The last key of each chunk.
    lasts: Vec<K>,
    len: usize,
}

impl<K, V> Default for ChunkMap<K, V> {
    fn default() -> Self {
        ChunkMap {
            chunks: Vec::new(),
            lasts: Vec::new(),
            len: 0,
        }
    }
}

impl<K: Ord + Clone, V> ChunkMap<K, V> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `key` if any does: the first whose last key is not below it.
    fn chunk_of(&self, key: &K) -> usize {
        self.lasts.partition_point(|last| last < key)
    }

    fn position(&self, key: &K) -> Option<(usize, usize)> {
        let c = self.chunk_of(key);
        let i = self
            .chunks
            .get(c)?
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()?;
        Some((c, i))
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let (c, i) = self.position(key)?;
        Some(&self.chunks[c][i].1)
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let (c, i) = self.position(key)?;
        Some(&mut self.chunks[c][i].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.position(key).is_some()
    }

    /// Adds or replaces the entry of `key`; the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if self.chunks.is_empty() {
            self.lasts.push(key.clone());
            self.chunks.push(vec![(key, value)]);
            self.len = 1;
            return None;
        }
        // Past every chunk's last key: the last chunk takes it.
        let c = self.chunk_of(&key).min(self.chunks.len() - 1);
        let chunk = &mut self.chunks[c];
        let i = match chunk.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => return Some(std::mem::replace(&mut chunk[i].1, value)),
            Err(i) => i,
        };
        if chunk.len() == chunk.capacity() {
            // An eighth more at a time: doubling would leave a quarter empty on
            // average.
            chunk.reserve_exact((chunk.len() / 8).max(4));
        }
        if i == chunk.len() {
            self.lasts[c] = key.clone();
        }
        chunk.insert(i, (key, value));
        self.len += 1;
        if chunk.len() > CHUNK {
            let right = chunk.split_off(chunk.len() / 2);
            chunk.shrink_to(chunk.len() + chunk.len() / 8);
            let left_last = chunk.last().map(|(k, _)| k.clone());
            if let Some(left_last) = left_last {
                self.lasts.insert(c, left_last);
            }
            self.chunks.insert(c + 1, right);
        }
        None
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let (c, i) = self.position(key)?;
        let chunk = &mut self.chunks[c];
        let (_, value) = chunk.remove(i);
        self.len -= 1;
        if chunk.is_empty() {
            self.chunks.remove(c);
            self.lasts.remove(c);
            return Some(value);
        }
        if i == chunk.len()
            && let Some((k, _)) = chunk.last()
        {
            self.lasts[c] = k.clone();
        }
        let len = chunk.len();
        if chunk.capacity() > len + len / 4 + 8 {
            chunk.shrink_to(len + len / 8);
        }
        // A chunk that has shrunk to a quarter joins its next neighbour when both fit
        // in half a chunk, so deletes do not leave many small chunks.
        if len < CHUNK / 4
            && let Some(next) = self.chunks.get(c + 1)
            && len + next.len() <= CHUNK / 2
        {
            let next = self.chunks.remove(c + 1);
            self.lasts.remove(c);
            let chunk = &mut self.chunks[c];
            chunk.reserve_exact(next.len());
            chunk.extend(next);
        }
        Some(value)
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.chunks.iter().flatten().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
}

impl<K: Ord + Clone, V> ChunkMap<K, V> {
    /// Adds or replaces an entry as [`ChunkMap::insert`] does; keys given in ascending
    /// order (a load) fill chunks to three quarters one after another, with no moves.
    /// Call [`ChunkMap::finish_pushes`] after the last.
    pub fn push(&mut self, key: K, value: V) -> Option<V> {
        if self.lasts.last().is_some_and(|last| *last >= key) {
            return self.insert(key, value);
        }
        let per = CHUNK * 3 / 4;
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < per => {
                if chunk.len() == chunk.capacity() {
                    // A chunk an insert made holds no room: room up to three quarters.
                    chunk.reserve_exact(per - chunk.len());
                }
                chunk.push((key.clone(), value));
            }
            _ => {
                let mut chunk = Vec::with_capacity(per);
                chunk.push((key.clone(), value));
                self.chunks.push(chunk);
                self.lasts.push(key.clone());
            }
        }
        if let Some(last) = self.lasts.last_mut() {
            *last = key;
        }
        self.len += 1;
        None
    }

    /// After [`ChunkMap::push`]es: the last chunk keeps no more room than an insert
    /// would have left.
    pub fn finish_pushes(&mut self) {
        if let Some(chunk) = self.chunks.last_mut() {
            let len = chunk.len();
            if chunk.capacity() > len + len / 4 + 8 {
                chunk.shrink_to(len + len / 8);
            }
        }
    }
}

impl<K: Ord + Clone, V> FromIterator<(K, V)> for ChunkMap<K, V> {
    /// Of a key given twice, the last value (as `BTreeMap`).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut entries: Vec<(K, V)> = iter.into_iter().collect();
        // Stable: equal keys keep their order, and a later push replaces.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = ChunkMap::default();
        for (k, v) in entries {
            map.push(k, v);
        }
        map.finish_pushes();
        map
    }
}

impl<K: std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for ChunkMap<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.chunks.iter().flatten().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for ChunkMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len
            && self
                .chunks
                .iter()
                .flatten()
                .eq(other.chunks.iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    impl<K: Ord + Clone, V> ChunkMap<K, V> {
        /// The structure's own promises: chunks non-empty, at most `CHUNK` long, keys
        /// sorted across chunks, `lasts` and `len` in step, slack bounded.
        fn check(&self) -> Result<(), String> {
            if self.chunks.len() != self.lasts.len() {
                return Err("lasts out of step".into());
            }
            let mut prev: Option<&K> = None;
            let mut n = 0;
            for (c, chunk) in self.chunks.iter().enumerate() {
                if chunk.is_empty() || chunk.len() > CHUNK {
                    return Err(format!("chunk {c} has {} entries", chunk.len()));
                }
                if chunk.capacity() > chunk.len() + chunk.len() / 4 + 8 {
                    return Err(format!(
                        "chunk {c}: {} of {}",
                        chunk.len(),
                        chunk.capacity()
                    ));
                }
                for (k, _) in chunk {
                    if prev.is_some_and(|p| p >= k) {
                        return Err("keys out of order".into());
                    }
                    prev = Some(k);
                }
                if chunk.last().map(|(k, _)| k) != Some(&self.lasts[c]) {
                    return Err(format!("last key of chunk {c} out of step"));
                }
                n += chunk.len();
            }
            if n != self.len {
                return Err("len out of step".into());
            }
            Ok(())
        }
    }

    proptest! {
        /// Inserts and removes, many enough to split and join chunks, leave the map as
        /// a `BTreeMap` given the same: same answers, same entries in the same order.
        #[test]
        fn a_chunk_map_is_a_sorted_map(
            start in proptest::collection::vec((0u32..3000, any::<u16>()), 0..1500),
            ops in proptest::collection::vec((0u8..3, 0u32..3000, any::<u16>()), 0..3000),
        ) {
            let mut map: ChunkMap<u32, u16> = start.iter().copied().collect();
            let mut model: BTreeMap<u32, u16> = start.into_iter().collect();
            prop_assert!(map.check().is_ok(), "{:?}", map.check());
            for (op, k, v) in ops {
                match op {
                    0 => prop_assert_eq!(map.insert(k, v), model.insert(k, v)),
                    1 => prop_assert_eq!(map.remove(&k), model.remove(&k)),
                    // Runs of removes, so chunks empty and join.
                    _ => {
                        for k in k..k + 40 {
                            prop_assert_eq!(map.remove(&k), model.remove(&k));
                        }
                    }
                }
                prop_assert_eq!(map.get(&k), model.get(&k));
                if let (Some(a), Some(b)) = (map.get_mut(&k), model.get_mut(&k)) {
                    *a = a.wrapping_add(1);
                    *b = b.wrapping_add(1);
                }
                prop_assert_eq!(map.contains_key(&k), model.contains_key(&k));
                prop_assert_eq!(map.len(), model.len());
            }
            prop_assert!(map.check().is_ok(), "{:?}", map.check());
            prop_assert!(map.iter().eq(model.iter()));
            prop_assert!(map.iter().rev().eq(model.iter().rev()));
            prop_assert!(map.keys().eq(model.keys()));
            prop_assert!(map.values().eq(model.values()));
            prop_assert_eq!(map.is_empty(), model.is_empty());
            let rebuilt: ChunkMap<u32, u16> = model.clone().into_iter().collect();
            prop_assert!(rebuilt == map);
        }
    }

    proptest! {
        /// Pushes in any order (ascending as a load gives them, or not) build the map
        /// a `BTreeMap` would be.
        #[test]
        fn pushes_build_the_map_inserts_would(
            mut keys in proptest::collection::vec((0u32..5000, any::<u16>()), 0..2000),
            sorted in any::<bool>(),
        ) {
            if sorted {
                keys.sort();
            }
            let mut map = ChunkMap::default();
            let mut model = BTreeMap::new();
            for (k, v) in keys {
                prop_assert_eq!(map.push(k, v), model.insert(k, v));
            }
            map.finish_pushes();
            prop_assert!(map.check().is_ok(), "{:?}", map.check());
            prop_assert!(map.iter().eq(model.iter()));
        }
    }

    /// Ascending inserts (a restore in id order) split the last chunk again and again;
    /// the chunks stay within their bounds and the map in order.
    #[test]
    fn ascending_and_descending_inserts_keep_the_chunks_in_bounds() {
        let mut up = ChunkMap::default();
        let mut down = ChunkMap::default();
        for k in 0..5000u32 {
            assert_eq!(up.insert(k, k), None);
            assert_eq!(down.insert(5000 - k, k), None);
        }
        up.check().unwrap();
        down.check().unwrap();
        assert!(up.keys().copied().eq(0..5000));
        assert!(down.keys().copied().eq(1..=5000));
        for k in (0..5000u32).step_by(2) {
            assert_eq!(up.remove(&k), Some(k));
        }
        up.check().unwrap();
        assert!(up.keys().copied().eq((1..5000).step_by(2)));
    }
}
