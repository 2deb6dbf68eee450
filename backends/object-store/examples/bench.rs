//! Our `Repository` vs raw `object_store` on the same server, in the same run:
//! 1 KiB puts at concurrency 32, and a streamed put and get of 1 GiB, printed as
//! throughput ratios (ours / raw, target >= 0.95) with the peak RSS of each phase
//! (target <= 64 MiB for the 1 GiB stream).
//!
//! ```text
//! source target/servers/moto.env    # or azurite.env, or a real store's variables
//! cargo run --release -p harmony-repo-object-store --example bench -- s3   # or azure
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
use std::sync::Arc;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn var(n: &str) -> Res<String> {
    std::env::var(n).map_err(|_| format!("{n} is not set").into())
}

/// Resets the peak RSS (Linux), so each phase reports its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

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

#[tokio::main]
async fn main() -> Res<()> {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "s3".into());
    let n: usize = std::env::var("BENCH_PUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let mib: usize = std::env::var("BENCH_STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let ours = Arc::new(repo(&kind)?);
    let raw: Arc<dyn ObjectStore> = ours.store().clone();
    let run = format!("bench-{:08x}", rand::random::<u32>());
    let one_k = Bytes::from(vec![1u8; 1024]);

    let t = Instant::now();
    stream::iter(0..n)
        .map(|i| {
            let (raw, d, p) = (
                raw.clone(),
                one_k.clone(),
                Path::from(format!("{run}/raw/{i}")),
            );
            async move { raw.put(&p, d.into()).await.map(|_| ()) }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await?;
    let raw_small = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
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
    let ours_small = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "1 KiB puts x{n} @32: raw {raw_small:.0}/s, ours {ours_small:.0}/s, ratio {:.3}",
        ours_small / raw_small
    );

    let tuning = ours.tuning().clone();
    reset_peak();
    let t = Instant::now();
    let p = Path::from(format!("{run}/raw/big"));
    let mut w = WriteMultipart::new_with_chunk_size(raw.put_multipart(&p).await?, tuning.part_size);
    let mut body = chunks(mib).boxed();
    while let Some(c) = body.next().await {
        w.wait_for_capacity(tuning.parts_in_flight).await?;
        w.put(c);
    }
    w.finish().await?;
    let raw_put = (mib as f64) / t.elapsed().as_secs_f64();
    let raw_put_rss = peak_mib();
    reset_peak();
    let t = Instant::now();
    let big = Key::new(format!("{run}/ours/big"))?;
    ours.put_stream(&big, chunks(mib).map(Ok).boxed(), PutMode::Overwrite)
        .await?;
    let ours_put = (mib as f64) / t.elapsed().as_secs_f64();
    let ours_put_rss = peak_mib();
    println!(
        "{mib} MiB streamed put: raw {raw_put:.0} MiB/s ({raw_put_rss:.0} MiB peak RSS), ours {ours_put:.0} MiB/s ({ours_put_rss:.0} MiB peak RSS), ratio {:.3}",
        ours_put / raw_put
    );

    reset_peak();
    let t = Instant::now();
    let mut s = raw.get(&p).await?.into_stream();
    while s.try_next().await?.is_some() {}
    let raw_get = (mib as f64) / t.elapsed().as_secs_f64();
    let raw_get_rss = peak_mib();
    reset_peak();
    let t = Instant::now();
    let mut s = ours.get(&big).await?.body;
    while s.try_next().await?.is_some() {}
    let ours_get = (mib as f64) / t.elapsed().as_secs_f64();
    let ours_get_rss = peak_mib();
    println!(
        "{mib} MiB streamed get: raw {raw_get:.0} MiB/s ({raw_get_rss:.0} MiB peak RSS), ours {ours_get:.0} MiB/s ({ours_get_rss:.0} MiB peak RSS), ratio {:.3}",
        ours_get / raw_get
    );
    ours.delete_prefix(&Key::new(run)?).await?;
    Ok(())
}
