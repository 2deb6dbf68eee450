//! Digesting: `Digest::md5` over a whole buffer, and `Md5Hasher` fed in 64 KiB chunks
//! (as the backends do while streaming).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use harmony_repo::{Digest, Md5Hasher};
use std::hint::black_box;

/// Deterministic, incompressible-looking bytes (xorshift).
fn data(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn bench_digest(c: &mut Criterion) {
    let mut g = c.benchmark_group("digest");
    for (name, len) in [("64KiB", 64 << 10), ("8MiB", 8 << 20)] {
        let buf = data(len);
        g.throughput(Throughput::Bytes(len as u64));
        if len > 1 << 20 {
            g.sample_size(20);
        }
        g.bench_function(format!("Digest::md5/{name}"), |b| {
            b.iter(|| Digest::md5(black_box(&buf)))
        });
        g.bench_function(format!("Md5Hasher-64KiB-chunks/{name}"), |b| {
            b.iter(|| {
                let mut h = Md5Hasher::default();
                for chunk in black_box(&buf).chunks(64 << 10) {
                    h.update(chunk);
                }
                h.finish()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_digest);
criterion_main!(benches);
