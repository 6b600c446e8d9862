//! An exact set of value keys with the row that first had each, for `unique`,
//! `primaryKey` and `enum`.
//!
//! Why not `HashMap<Box<str>, u64>`: on a 1M-row table that map was half the time of
//! validation (one allocation per row, SipHash over every key twice as the map grew, a
//! free per entry at the end). Here every key's bytes go into one growing buffer, and the
//! table maps a 64-bit hash of the key to where its bytes are; growing the table moves
//! 32-byte entries and hashes nothing.
//!
//! Exact, not probabilistic: a key whose hash is already taken is compared byte for byte
//! with the key stored there. Two different keys with the same hash (rare, or crafted)
//! go to a plain map keyed by their bytes, so no duplicate is missed and none invented.
//! The hash is seeded per process, so a file cannot be prepared to collide in advance
//! with any reliability; if one did, it would only be slower.
//!
//! Integer keys (the usual primary key, `id` = 1, 2, 3…) have their own table, keyed by
//! the integer divided by 64: each entry is a bitmap of which of 64 neighbouring integers
//! were seen and their first rows, in integer order. A random write to a large table
//! costs far more than the rest of a row's checks (on the shared benchmark machine, a
//! 1M-entry table was half of validation), so ids that arrive in order share one small
//! entry per 64 rows, and the table stays in cache. The two tables cannot hold the same
//! key: a key is an integer key exactly when it is the 9 bytes `i` + the integer.
//!
//! Memory: the key's bytes plus about 40 bytes per distinct key; integer keys about 9
//! bytes each when dense, up to about 80 when scattered.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::OnceLock;

/// Where a key's bytes are in [`KeySet::bytes`], and the row that first had it.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: usize,
    len: u32,
    row: u64,
}

/// 64 neighbouring integers: which were seen, and the first row of each seen one, in
/// integer order (the row of integer `b` is at the number of seen bits below `b`).
#[derive(Debug, Default)]
struct IntGroup {
    seen: u64,
    rows: Vec<u64>,
}

/// Values seen, by key bytes, each with the row that first had it.
#[derive(Debug, Default)]
pub(crate) struct KeySet {
    bytes: Vec<u8>,
    slots: HashMap<u64, Slot, BuildHasherDefault<PassThrough>>,
    /// Keys whose hash was already taken by a different key.
    collided: HashMap<Box<[u8]>, u64>,
    /// Integer keys, by `i >> 6`.
    ints: HashMap<i64, IntGroup, BuildHasherDefault<Mix>>,
}

/// The integer of an integer key (`i` + 8 little-endian bytes, see `Cast::write_key`).
fn int_key(key: &[u8]) -> Option<i64> {
    match key {
        [b'i', rest @ ..] => Some(i64::from_le_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// The integer table's key for `i`, and `i`'s bit in the group. The shift is
/// arithmetic, so negative integers have groups of their own.
fn int_place(i: i64) -> (i64, u32) {
    (i >> 6, (i & 63) as u32)
}

impl KeySet {
    /// The row that first had `key`, or `None` after recording `row` as its first.
    pub(crate) fn first_or_insert(&mut self, key: &[u8], row: u64) -> Option<u64> {
        if let Some(i) = int_key(key) {
            let (group, bit) = int_place(i);
            let g = self.ints.entry(group).or_default();
            let at = (g.seen & ((1u64 << bit) - 1)).count_ones() as usize;
            if g.seen & (1 << bit) != 0 {
                return Some(g.rows[at]);
            }
            g.seen |= 1 << bit;
            g.rows.insert(at, row);
            return None;
        }
        let hash = hash(key);
        match self.slots.get(&hash) {
            None => {
                let start = self.bytes.len();
                self.bytes.extend_from_slice(key);
                // Keys longer than 4 GiB cannot come from a cell; saturating keeps the
                // comparison below honest (a stored length that differs never matches).
                let len = u32::try_from(key.len()).unwrap_or(u32::MAX);
                self.slots.insert(hash, Slot { start, len, row });
                None
            }
            Some(s) if self.stored(s) == key => Some(s.row),
            Some(_) => match self.collided.get(key) {
                Some(&first) => Some(first),
                None => {
                    self.collided.insert(key.into(), row);
                    None
                }
            },
        }
    }

    /// Whether `key` was inserted.
    pub(crate) fn contains(&self, key: &[u8]) -> bool {
        if let Some(i) = int_key(key) {
            let (group, bit) = int_place(i);
            return self
                .ints
                .get(&group)
                .is_some_and(|g| g.seen & (1 << bit) != 0);
        }
        match self.slots.get(&hash(key)) {
            None => false,
            Some(s) if self.stored(s) == key => true,
            Some(_) => self.collided.contains_key(key),
        }
    }

    fn stored(&self, s: &Slot) -> &[u8] {
        &self.bytes[s.start..s.start + s.len as usize]
    }
}

/// The table's keys already are hashes: pass them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; this keeps the trait whole.
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Hashes the integer table's keys: seeded, then mixed as in [`hash`].
#[derive(Default)]
struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash(bytes);
    }
    fn write_i64(&mut self, n: i64) {
        self.0 = fmix(seed() ^ n as u64);
    }
}

/// A per-process random seed, drawn from the standard library's random hash keys.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        std::collections::hash_map::RandomState::new().hash_one(0x6f67_7069_7065_u64)
    })
}

/// A fast 64-bit hash of the key's bytes: eight bytes at a time (FxHash's step), then a
/// full avalanche (MurmurHash3's finaliser) so every bit of the result depends on every
/// input bit; the table uses both the low and the high bits.
fn hash(key: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let step = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let mut h = seed() ^ (key.len() as u64).wrapping_mul(K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = step(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = step(h, u64::from_le_bytes(w));
    }
    fmix(h)
}

/// MurmurHash3's 64-bit finaliser.
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_exactly_with_their_first_row() {
        let mut set = KeySet::default();
        assert_eq!(set.first_or_insert(b"a", 2), None);
        assert_eq!(set.first_or_insert(b"ab", 3), None);
        assert_eq!(set.first_or_insert(b"", 4), None);
        assert_eq!(set.first_or_insert(b"a", 5), Some(2));
        assert_eq!(set.first_or_insert(b"", 6), Some(4));
        // A prefix, a longer key and zero padding are different keys.
        assert_eq!(set.first_or_insert(b"a\0", 7), None);
        assert_eq!(set.first_or_insert(b"ab", 8), Some(3));
        assert!(set.contains(b"a\0") && !set.contains(b"abc"));
    }

    #[test]
    fn a_million_distinct_keys_have_no_false_duplicates() {
        let mut set = KeySet::default();
        for i in 1..1_000_000u64 {
            assert_eq!(set.first_or_insert(&i.to_le_bytes(), i), None, "{i}");
        }
        for i in (1..1_000_000u64).step_by(997) {
            assert_eq!(set.first_or_insert(&i.to_le_bytes(), 1), Some(i));
        }
    }

    #[test]
    fn integer_keys_are_exact_across_groups_and_signs() {
        let key = |i: i64| {
            let mut k = vec![b'i'];
            k.extend_from_slice(&i.to_le_bytes());
            k
        };
        let mut set = KeySet::default();
        // Out of order within a group, across groups, both signs, both ends.
        let ints = [
            5,
            0,
            63,
            1,
            64,
            -1,
            -64,
            -65,
            62,
            i64::MIN,
            i64::MAX,
            1 << 40,
        ];
        for (row, &i) in (2..).zip(&ints) {
            assert_eq!(set.first_or_insert(&key(i), row), None, "{i}");
        }
        for (row, &i) in (2..).zip(&ints) {
            assert!(set.contains(&key(i)), "{i}");
            assert_eq!(set.first_or_insert(&key(i), 99), Some(row), "{i}");
        }
        for i in [2, 4, 6, 65, -2, -63, i64::MIN + 1, i64::MAX - 1] {
            assert!(!set.contains(&key(i)), "{i}");
        }
        // Not integer keys, though they start with `i`: kept apart from the integers.
        assert_eq!(set.first_or_insert(b"i", 50), None);
        assert_eq!(set.first_or_insert(&key(0)[..8], 51), None);
        assert_eq!(set.first_or_insert(b"i", 52), Some(50));
    }

    #[test]
    fn random_keys_agree_with_a_plain_map() {
        // Integers dense and scattered, short byte keys, in random order with repeats.
        let mut rng = fastrand::Rng::with_seed(4);
        let mut set = KeySet::default();
        let mut plain: HashMap<Vec<u8>, u64> = HashMap::new();
        for row in 1..200_000u64 {
            let key = match rng.u8(..4) {
                0 => [&[b'i'][..], &rng.i64(-300..300).to_le_bytes()].concat(),
                1 => [&[b'i'][..], &rng.i64(..).to_le_bytes()].concat(),
                2 => [&[b'i'][..], &(rng.i64(..) >> 50).to_le_bytes()].concat(),
                _ => (0..rng.usize(..4)).map(|_| rng.u8(b'a'..b'e')).collect(),
            };
            let want = match plain.get(&key) {
                Some(&first) => Some(first),
                None => {
                    plain.insert(key.clone(), row);
                    None
                }
            };
            assert_eq!(set.first_or_insert(&key, row), want, "{key:?}");
        }
        assert!(plain.keys().all(|k| set.contains(k)));
    }

    #[test]
    fn keys_sharing_a_hash_stay_apart() {
        // Force a collision: store a slot for "y" under the hash of "x".
        let mut set = KeySet::default();
        set.bytes.extend_from_slice(b"y");
        let y = Slot {
            start: 0,
            len: 1,
            row: 3,
        };
        set.slots.insert(hash(b"x"), y);
        // "x" hashes to the slot holding "y": it must be kept apart, not called a repeat.
        assert!(!set.contains(b"x"));
        assert_eq!(set.first_or_insert(b"x", 4), None);
        assert_eq!(set.first_or_insert(b"x", 5), Some(4));
        assert!(set.contains(b"x"));
    }
}
