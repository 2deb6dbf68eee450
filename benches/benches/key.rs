//! `Key::new` validation: typical keys, a long deep key, and keys it must refuse.

use criterion::{criterion_group, criterion_main, Criterion};
use harmony_repo::{Key, MAX_KEY_BYTES};
use std::hint::black_box;

fn bench_key(c: &mut Criterion) {
    let deep = (0..40)
        .map(|i| format!("folder-{i:02}"))
        .collect::<Vec<_>>()
        .join("/");
    // Ten 100-byte segments and a file name: 1,017 bytes, just under the limit.
    let long = format!("{}/end.xml", vec!["a".repeat(100); 10].join("/"));
    assert!(long.len() <= MAX_KEY_BYTES);
    let valid: [(&str, String); 4] = [
        ("short", "hosts/acme.xml".into()),
        ("unicode", "hosts/ünïcödé partner/ключ 😀.xml".into()),
        ("deep-40-segments", deep),
        ("1017-bytes", long),
    ];
    let invalid: [(&str, String); 4] = [
        ("dot-dot", "hosts/../secret.xml".into()),
        ("empty-segment", "hosts//acme.xml".into()),
        ("control-char", "hosts/ac\tme.xml".into()),
        ("too-long", "a".repeat(MAX_KEY_BYTES + 1)),
    ];

    let mut g = c.benchmark_group("key_new");
    for (name, s) in &valid {
        assert!(Key::new(s.as_str()).is_ok(), "{name} must be valid");
        g.bench_function(format!("valid/{name}"), |b| {
            b.iter(|| Key::new(black_box(s.as_str())))
        });
    }
    for (name, s) in &invalid {
        assert!(Key::new(s.as_str()).is_err(), "{name} must be refused");
        g.bench_function(format!("invalid/{name}"), |b| {
            b.iter(|| Key::new(black_box(s.as_str())))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_key);
criterion_main!(benches);
