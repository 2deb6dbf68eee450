//! Planning a sync of 10,000 entries between two in-memory repositories:
//! nothing to do, 1% changed, and an empty destination.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use harmony_repo::sync::{self, SyncOptions};
use harmony_repo::{Key, MemoryRepository, PutMode, Repository};
use std::hint::black_box;

const ENTRIES: usize = 10_000;

/// A three-level key like the configuration trees: `d3/s7/file-01234.xml`.
fn key(i: usize) -> Key {
    Key::new(format!("d{}/s{}/file-{i:05}.xml", i % 10, (i / 10) % 10)).expect("valid key")
}

fn body(i: usize, changed: bool) -> bytes::Bytes {
    let tag = if changed { "changed" } else { "original" };
    format!("<host id=\"{i}\" state=\"{tag}\"/>").into()
}

/// Fills a repository with the 10,000 entries; every `changed_every`-th one differs.
async fn fill(repo: &MemoryRepository, changed_every: Option<usize>) {
    for i in 0..ENTRIES {
        let changed = changed_every.is_some_and(|n| i % n == 0);
        repo.put(&key(i), body(i, changed), PutMode::Overwrite)
            .await
            .expect("put into memory");
    }
}

fn bench_plan(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime");
    let src = MemoryRepository::new();
    let same = MemoryRepository::new();
    let one_percent = MemoryRepository::new();
    let empty = MemoryRepository::new();
    rt.block_on(async {
        fill(&src, None).await;
        fill(&same, None).await;
        fill(&one_percent, Some(100)).await;
    });
    let opts = SyncOptions::default();

    let mut g = c.benchmark_group("sync_plan_10k");
    g.throughput(Throughput::Elements(ENTRIES as u64));
    g.sample_size(30);
    let cases: [(&str, &MemoryRepository, usize); 3] = [
        ("no-op", &same, 0),
        ("1%-changed", &one_percent, ENTRIES / 100),
        ("empty-destination", &empty, ENTRIES),
    ];
    for (name, dst, changes) in cases {
        // Check once, outside the timing, that the case is what it says.
        let plan = rt.block_on(sync::plan(&src, dst, &opts)).expect("plan");
        assert_eq!(plan.changes(), changes, "{name}");
        g.bench_function(name, |b| {
            b.iter(|| rt.block_on(sync::plan(black_box(&src), black_box(dst), &opts)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench_plan);
criterion_main!(benches);
