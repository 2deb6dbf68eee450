//! The cases about concurrent writers and readers, and interrupted writes.

use super::cases::{assert_not_found, k, keys, put, read};
use crate::{Error, PutMode, Repository};
use bytes::Bytes;
use futures::stream::{self, StreamExt};
use std::sync::Arc;

type Repo = Arc<dyn Repository>;

/// 8 tasks doing 50 compare-and-swap increments each on one key end at exactly 400.
pub async fn concurrent_cas(repo: Repo) {
    let key = k("counter");
    repo.put(&key, "0".into(), PutMode::Create)
        .await
        .expect("create counter");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (repo, key) = (repo.clone(), key.clone());
            tokio::spawn(async move {
                let mut done = 0;
                while done < 50 {
                    let g = repo.get(&key).await.expect("get counter");
                    let v = g.meta.version.clone().expect("version");
                    let n: u64 = std::str::from_utf8(&g.bytes().await.expect("body"))
                        .expect("utf8")
                        .parse()
                        .expect("number");
                    match repo
                        .put(&key, (n + 1).to_string().into(), PutMode::Update(v))
                        .await
                    {
                        Ok(_) => done += 1,
                        Err(Error::Precondition(..)) => {}
                        Err(e) if e.is_retryable() => {}
                        Err(e) => panic!("compare-and-swap: {e}"),
                    }
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(read(&repo, "counter").await, "400", "lost updates");
}

/// Of 8 racing create-only puts of one key, exactly one wins (10 rounds).
pub async fn racing_creates(repo: Repo) {
    for round in 0..10 {
        let key = k(&format!("race/{round}"));
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (repo, key) = (repo.clone(), key.clone());
                tokio::spawn(
                    async move { repo.put(&key, format!("{i}").into(), PutMode::Create).await },
                )
            })
            .collect();
        let mut winners = vec![];
        for (i, t) in tasks.into_iter().enumerate() {
            match t.await.expect("task") {
                Ok(_) => winners.push(i),
                Err(Error::AlreadyExists(_)) => {}
                Err(e) => panic!("racing create: {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        assert_eq!(
            read(&repo, &format!("race/{round}")).await,
            winners[0].to_string()
        );
    }
}

/// A reader running while a large object is rewritten sees one whole version or
/// another, never a partial or missing object.
pub async fn reader_during_write(repo: Repo) {
    const SIZE: usize = 8 << 20;
    let key = k("big/rewritten.bin");
    repo.put(&key, Bytes::from(vec![0u8; SIZE]), PutMode::Overwrite)
        .await
        .expect("initial");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (repo, key, done) = (repo.clone(), key.clone(), done.clone());
        tokio::spawn(async move {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) || reads < 3 {
                let data = repo
                    .get(&key)
                    .await
                    .expect("reader: get during write")
                    .bytes()
                    .await
                    .expect("reader: body");
                assert_eq!(data.len(), SIZE, "reader saw a partial object");
                assert!(
                    data.iter().all(|b| *b == data[0]),
                    "reader saw a mixed object"
                );
                reads += 1;
            }
            reads
        })
    };
    for i in 1..=6u8 {
        let body = stream::iter(0..8)
            .map(move |_| Ok(Bytes::from(vec![i; SIZE / 8])))
            .boxed();
        repo.put_stream(&key, body, PutMode::Overwrite)
            .await
            .expect("rewrite");
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let reads = reader.await.expect("reader");
    assert!(reads >= 3, "reader ran {reads} times");
}

/// A streamed put that fails midway leaves no object, no debris, and the old object intact.
pub async fn interrupted_put(repo: Repo) {
    let failing = || {
        stream::iter(0..4)
            .map(|i| {
                if i < 3 {
                    Ok(Bytes::from(vec![b'x'; 1 << 20]))
                } else {
                    Err(Error::invalid_path("x", "client gave up"))
                }
            })
            .boxed()
    };
    assert!(
        repo.put_stream(&k("new.bin"), failing(), PutMode::Overwrite)
            .await
            .is_err(),
        "failing stream must fail"
    );
    assert_not_found(repo.head(&k("new.bin")).await, "interrupted new object");
    put(&repo, "old.bin", "old").await;
    assert!(repo
        .put_stream(&k("old.bin"), failing(), PutMode::Overwrite)
        .await
        .is_err());
    assert_eq!(
        read(&repo, "old.bin").await,
        "old",
        "interrupted overwrite kept the old object"
    );
    assert_eq!(
        keys(&repo, None).await,
        ["old.bin"],
        "no debris in listings"
    );
    let l = repo.list_with_delimiter(None).await.expect("list");
    assert!(
        l.prefixes.is_empty(),
        "no debris prefixes: {:?}",
        l.prefixes
    );
}
