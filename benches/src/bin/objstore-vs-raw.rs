//! Our `Repository` vs raw `object_store` on the same server, in the same run:
//! 1 KiB puts at concurrency 32, and a streamed put and get of 1 GiB, printed as
//! throughput ratios (ours / raw, target >= 0.95) with the peak RSS of each phase
//! (target <= 64 MiB for the 1 GiB stream).
//!
//! Each phase runs in a child process of this binary (re-executed with
//! `--phase`), so the child's `VmHWM` is the peak RSS of that phase alone.
//!
//! ```text
//! source target/servers/moto.env    # or azurite.env, or a real store's variables
//! cargo run --release -p harmony-repo-benches --bin objstore-vs-raw -- s3   # or azure
//! ```
//! `BENCH_PUTS` (default 2000) and `BENCH_STREAM_MIB` (default 1024) scale the runs.

use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use harmony_repo::settings::{AzureSettings, S3Settings, Secret};
use harmony_repo::{Key, PutMode, Repository};
use harmony_repo_object_store::object_store::{
    path::Path, ObjectStore, ObjectStoreExt, WriteMultipart,
};
use harmony_repo_object_store::{ObjectStoreRepository, Tuning};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The phases, raw then ours: (name, what is measured).
const PHASES: [(&str, &str); 6] = [
    ("raw-small", "1 KiB puts @32"),
    ("ours-small", "1 KiB puts @32"),
    ("raw-put", "streamed put"),
    ("ours-put", "streamed put"),
    ("raw-get", "streamed get"),
    ("ours-get", "streamed get"),
];

fn var(n: &str) -> Res<String> {
    std::env::var(n).map_err(|_| format!("{n} is not set").into())
}

fn num(n: &str, default: usize) -> usize {
    std::env::var(n)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident set of this process so far, in MiB (Linux `VmHWM`).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn repo(kind: &str) -> Res<ObjectStoreRepository> {
    let t = Tuning::default();
    Ok(match kind {
        "s3" => ObjectStoreRepository::s3(
            &S3Settings {
                bucket: var("HARMONY_TEST_S3_BUCKET")?,
                region: Some(var("HARMONY_TEST_S3_REGION")?),
                https: false,
                access_key: Some(Secret::new(var("HARMONY_TEST_S3_ACCESS_KEY")?)),
                secret_access_key: Some(Secret::new(var("HARMONY_TEST_S3_SECRET_KEY")?)),
                endpoint: Some(var("HARMONY_TEST_S3_ENDPOINT")?),
                path_style: Some(true),
            },
            t,
        )?,
        "azure" => ObjectStoreRepository::azure(
            &AzureSettings {
                account: var("HARMONY_TEST_AZURE_ACCOUNT")?,
                access_key: Some(Secret::new(var("HARMONY_TEST_AZURE_KEY")?)),
                container: var("HARMONY_TEST_AZURE_CONTAINER")?,
                blob_type: None,
                endpoint: Some(var("HARMONY_TEST_AZURE_ENDPOINT")?),
            },
            t,
        )?,
        other => return Err(format!("unknown store '{other}': s3 or azure").into()),
    })
}

fn chunks(mib: usize) -> impl futures::Stream<Item = Bytes> {
    // A fresh allocation per chunk, as a real producer would make.
    stream::iter(0..mib).map(|i| Bytes::from(vec![i as u8; 1 << 20]))
}

/// Runs one phase in this process; returns its throughput (ops/s or MiB/s).
async fn phase(kind: &str, name: &str, run: &str) -> Res<f64> {
    let (n, mib) = (num("BENCH_PUTS", 2000), num("BENCH_STREAM_MIB", 1024));
    let ours = Arc::new(repo(kind)?);
    let raw: Arc<dyn ObjectStore> = ours.store().clone();
    let tuning = ours.tuning().clone();
    let one_k = Bytes::from(vec![1u8; 1024]);
    let raw_big = Path::from(format!("{run}/raw/big"));
    let ours_big = Key::new(format!("{run}/ours/big"))?;
    let t = Instant::now();
    let units = match name {
        "raw-small" => {
            stream::iter(0..n)
                .map(|i| {
                    let (raw, d) = (raw.clone(), one_k.clone());
                    let p = Path::from(format!("{run}/raw/{i}"));
                    async move { raw.put(&p, d.into()).await.map(|_| ()) }
                })
                .buffer_unordered(32)
                .try_collect::<Vec<_>>()
                .await?;
            n
        }
        "ours-small" => {
            stream::iter(0..n)
                .map(|i| {
                    let (ours, d) = (ours.clone(), one_k.clone());
                    let key = format!("{run}/ours/{i}");
                    async move {
                        ours.put(&Key::new(key)?, d, PutMode::Overwrite)
                            .await
                            .map(|_| ())
                    }
                })
                .buffer_unordered(32)
                .try_collect::<Vec<_>>()
                .await?;
            n
        }
        "raw-put" => {
            let upload = raw.put_multipart(&raw_big).await?;
            let mut w = WriteMultipart::new_with_chunk_size(upload, tuning.part_size);
            let mut body = chunks(mib).boxed();
            while let Some(c) = body.next().await {
                w.wait_for_capacity(tuning.parts_in_flight).await?;
                w.put(c);
            }
            w.finish().await?;
            mib
        }
        "ours-put" => {
            let body = chunks(mib).map(Ok).boxed();
            ours.put_stream(&ours_big, body, PutMode::Overwrite).await?;
            mib
        }
        "raw-get" => {
            let mut s = raw.get(&raw_big).await?.into_stream();
            while s.try_next().await?.is_some() {}
            mib
        }
        "ours-get" => {
            let mut s = ours.get(&ours_big).await?.body;
            while s.try_next().await?.is_some() {}
            mib
        }
        "cleanup" => {
            ours.delete_prefix(&Key::new(run)?).await?;
            0
        }
        other => return Err(format!("unknown phase '{other}'").into()),
    };
    Ok(units as f64 / t.elapsed().as_secs_f64())
}

/// Re-executes this binary for one phase; returns (throughput, peak RSS MiB).
fn child(kind: &str, name: &str, run: &str) -> Res<(f64, f64)> {
    let out = Command::new(std::env::current_exe()?)
        .args([kind, "--phase", name, run])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("phase {name} failed: {text}{err}").into());
    }
    let mut it = text.split_whitespace().map(str::parse::<f64>);
    match (it.next(), it.next()) {
        (Some(Ok(rate)), Some(Ok(rss))) => Ok((rate, rss)),
        _ => Err(format!("phase {name}: unexpected output {text:?}").into()),
    }
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kind = args.first().cloned().unwrap_or_else(|| "s3".into());
    if args.get(1).map(String::as_str) == Some("--phase") {
        let (name, run) = (&args[2], &args[3]);
        let rt = tokio::runtime::Runtime::new()?;
        let rate = rt.block_on(phase(&kind, name, run))?;
        println!("{rate} {}", peak_mib());
        return Ok(());
    }
    let (n, mib) = (num("BENCH_PUTS", 2000), num("BENCH_STREAM_MIB", 1024));
    let run = format!("bench-{:08x}", rand::random::<u32>());
    // The small puts run raw, ours, ours, raw (the mean of each pair), so that
    // neither side gains from a server warmed up by the other.
    let a = child(&kind, "raw-small", &run)?;
    let b = child(&kind, "ours-small", &run)?;
    let c = child(&kind, "ours-small", &run)?;
    let d = child(&kind, "raw-small", &run)?;
    let mean = |x: (f64, f64), y: (f64, f64)| ((x.0 + y.0) / 2.0, x.1.max(y.1));
    let mut results = vec![mean(a, d), mean(b, c)];
    for (name, _) in &PHASES[2..] {
        results.push(child(&kind, name, &run)?);
    }
    let _ = child(&kind, "cleanup", &run);
    println!("{kind}: {n} x 1 KiB puts at concurrency 32 (mean of 2 runs each); {mib} MiB streamed in 1 MiB chunks");
    println!("| phase | ours | raw object_store | ratio | peak RSS ours / raw (MiB) |");
    println!("|---|---|---|---|---|");
    for (i, pair) in results.chunks(2).enumerate() {
        let ((raw, raw_rss), (ours, ours_rss)) = (pair[0], pair[1]);
        let what = PHASES[2 * i].1;
        let (label, unit) = if i == 0 {
            (what.to_string(), "puts/s")
        } else {
            (format!("{mib} MiB {what}"), "MB/s")
        };
        let (ours, raw) = if i == 0 {
            (ours, raw)
        } else {
            // MiB/s -> MB/s
            (ours * 1.048_576, raw * 1.048_576)
        };
        println!(
            "| {label} | {ours:.0} {unit} | {raw:.0} {unit} | {:.3} | {ours_rss:.0} / {raw_rss:.0} |",
            ours / raw
        );
    }
    Ok(())
}
