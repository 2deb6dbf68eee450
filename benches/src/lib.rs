//! Benchmarks of harmony-repo (not published).
//!
//! - `benches/*.rs`: criterion benches of the hot paths (`cargo bench -p harmony-repo-benches`).
//! - `compare.sh`: `config-sync` against `rclone sync` on every local test server.
//! - `bench-tree`: writes and changes the deterministic test tree `compare.sh` syncs.
//! - `sync-requests`: plans a `config-sync push` through a request counter.

/// A small deterministic generator (splitmix64): the same tree on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A size between `lo` and `hi` bytes, log-uniform (many small files, some large),
    /// like a configuration tree.
    pub fn size(&mut self, lo: u64, hi: u64) -> u64 {
        let u = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let (l, h) = ((lo as f64).ln(), (hi as f64).ln());
        ((l + u * (h - l)).exp() as u64).clamp(lo, hi)
    }

    /// `len` bytes of printable text (XML-ish configuration content).
    pub fn text(&mut self, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] =
            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<>/=\" \n";
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            let mut x = self.next_u64();
            for _ in 0..8 {
                out.push(ALPHABET[(x % ALPHABET.len() as u64) as usize]);
                x /= ALPHABET.len() as u64;
            }
        }
        out.truncate(len);
        out
    }
}

/// The relative path of file `i` in a tree: three levels, `dNN/sNN/fNNNNN.xml`,
/// ten top-level folders of ten sub-folders each.
pub fn tree_path(i: usize) -> String {
    format!("d{:02}/s{:02}/f{i:05}.xml", i % 10, (i / 10) % 10)
}

/// Smallest and largest file of the tree.
pub const SIZES: (u64, u64) = (200, 64 << 10);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let s = a.size(SIZES.0, SIZES.1);
            assert_eq!(s, b.size(SIZES.0, SIZES.1));
            assert!((SIZES.0..=SIZES.1).contains(&s));
        }
        assert_eq!(a.text(33), b.text(33));
        assert_eq!(tree_path(1234), "d04/s03/f01234.xml");
    }
}
