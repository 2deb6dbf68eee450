//! The conformance cases. Each takes a repository (already in a fresh prefix) and
//! panics with a message naming the broken behaviour.

use crate::{Digest, Error, Key, Md5Hasher, ObjectMeta, PutMode, Repository};
use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use super::layouts::layouts;

type Repo = Arc<dyn Repository>;

/// Builds a key, panicking on an invalid literal.
pub fn k(s: &str) -> Key {
    Key::new(s).unwrap_or_else(|e| panic!("test key {s:?}: {e}"))
}

async fn put(repo: &Repo, key: &str, data: impl Into<Bytes>) -> ObjectMeta {
    repo.put(&k(key), data.into(), PutMode::Overwrite)
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"))
}

async fn read(repo: &Repo, key: &str) -> Bytes {
    let g = repo
        .get(&k(key))
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e}"));
    g.bytes()
        .await
        .unwrap_or_else(|e| panic!("read body of {key}: {e}"))
}

async fn keys(repo: &Repo, prefix: Option<&str>) -> Vec<String> {
    let p = prefix.map(k);
    repo.list(p.as_ref())
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .expect("list")
}

fn assert_not_found<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
    match r {
        Err(Error::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}

/// Empty and small objects round-trip; put's metadata matches head's.
pub async fn round_trip(repo: Repo) {
    for (key, data) in [
        ("empty", &b""[..]),
        ("small.txt", &b"hello harmony"[..]),
        ("d/e/f.bin", &[0u8, 255, 10, 13][..]),
    ] {
        let m = put(&repo, key, Bytes::copy_from_slice(data)).await;
        assert_eq!(m.size, data.len() as u64, "{key}: put size");
        assert_eq!(&read(&repo, key).await[..], data, "{key}: content");
        let h = repo.head(&k(key)).await.expect("head");
        assert_eq!(
            (h.key.as_str(), h.size),
            (key, data.len() as u64),
            "{key}: head"
        );
        assert_eq!(
            h.version, m.version,
            "{key}: put and head disagree on the version"
        );
        let g = repo.get(&k(key)).await.expect("get");
        assert_eq!(g.meta.version, m.version, "{key}: get's version");
    }
}

fn pattern(i: usize, len: usize) -> Bytes {
    (0..len)
        .map(|j| ((i * 7 + j * 31) % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// A 64 MiB object written from a stream in 1 MiB chunks reads back identical.
pub async fn streamed_64mib(repo: Repo) {
    const CHUNK: usize = 1 << 20;
    let mut want = Md5Hasher::default();
    (0..64).for_each(|i| want.update(&pattern(i, CHUNK)));
    let want = want.finish();
    let body = stream::iter(0..64).map(|i| Ok(pattern(i, CHUNK))).boxed();
    let m = repo
        .put_stream(&k("big/64mib.bin"), body, PutMode::Create)
        .await
        .expect("put_stream 64 MiB");
    assert_eq!(m.size, 64 << 20);
    let g = repo.get(&k("big/64mib.bin")).await.expect("get");
    assert_eq!(g.meta.size, 64 << 20);
    let mut got = Md5Hasher::default();
    let mut n = 0u64;
    let mut body = g.body;
    while let Some(c) = body.try_next().await.expect("read chunk") {
        n += c.len() as u64;
        got.update(&c);
    }
    assert_eq!(n, 64 << 20, "bytes read");
    assert_eq!(got.finish(), want, "64 MiB content");
    if let Some(d) = repo.head(&k("big/64mib.bin")).await.expect("head").digest {
        assert_eq!(d, want, "digest reported for the streamed object");
    }
}

/// Byte ranges: inside, clamped at the end, empty at the end, invalid past it.
pub async fn ranges(repo: Repo) {
    put(&repo, "r.txt", "0123456789").await;
    let get = |r: std::ops::Range<u64>| {
        let repo = repo.clone();
        async move { repo.get_range(&k("r.txt"), Some(r)).await }
    };
    for (r, want) in [
        (0..5, "01234"),
        (3..7, "3456"),
        (8..100, "89"),
        (10..10, ""),
        (4..4, ""),
    ] {
        let g = get(r.clone())
            .await
            .unwrap_or_else(|e| panic!("range {r:?}: {e}"));
        assert_eq!(g.meta.size, 10, "range {r:?}: meta is the whole object's");
        assert_eq!(g.bytes().await.expect("body"), want, "range {r:?}");
    }
    #[allow(clippy::reversed_empty_ranges)]
    for r in [11..20, 5..3] {
        match get(r.clone()).await {
            Err(Error::InvalidRange(..)) => {}
            other => panic!("range {r:?}: expected InvalidRange, got {other:?}"),
        }
    }
    assert_not_found(
        repo.get_range(&k("missing"), Some(0..1)).await,
        "range of a missing key",
    );
}

/// head reports size, a sensible modification time, a version, and a correct digest if any.
pub async fn head_metadata(repo: Repo) {
    let data = Bytes::from_static(b"<host alias=\"acme\"/>");
    put(&repo, "hosts/acme.xml", data.clone()).await;
    let h = repo.head(&k("hosts/acme.xml")).await.expect("head");
    assert_eq!(h.size, data.len() as u64);
    assert!(h.version.is_some(), "a version token");
    let t = h.last_modified.expect("a modification time");
    let day = Duration::from_secs(86_400);
    let now = SystemTime::now();
    assert!(
        t > now - day && t < now + day,
        "modification time {t:?} is not today"
    );
    if let Some(d) = h.digest {
        assert_eq!(d, Digest::md5(&data), "digest");
    }
}

/// Overwrites replace the content and change the version, even with equal content.
pub async fn overwrite(repo: Repo) {
    let a = put(&repo, "o.txt", "first").await;
    let b = put(&repo, "o.txt", "second, longer").await;
    let c = put(&repo, "o.txt", "second, longer").await;
    assert_eq!(read(&repo, "o.txt").await, "second, longer");
    assert_ne!(a.version, b.version, "version changes on write");
    assert_ne!(
        b.version, c.version,
        "version changes on a write of equal content"
    );
    assert_eq!(keys(&repo, None).await, ["o.txt"]);
}

/// A missing key is NotFound for reads, and not an error for delete.
pub async fn missing_keys(repo: Repo) {
    let m = k("no/such/key");
    assert_not_found(repo.head(&m).await, "head");
    assert_not_found(repo.get(&m).await, "get");
    assert_not_found(repo.copy(&m, &k("x"), false).await, "copy");
    assert_not_found(repo.rename(&m, &k("x"), false).await, "rename");
    repo.delete(&m)
        .await
        .expect("delete of a missing key is not an error");
    assert!(keys(&repo, Some("no")).await.is_empty());
    let l = repo
        .list_with_delimiter(Some(&k("no")))
        .await
        .expect("delimited listing of a missing prefix");
    assert!(l.objects.is_empty() && l.prefixes.is_empty());
    put(&repo, "present", "x").await;
    assert_not_found(
        repo.head(&k("present/below")).await,
        "a key below an object",
    );
}

/// Recursive listings are complete, in byte order, and honour folder boundaries.
pub async fn list_recursive(repo: Repo) {
    let all = [
        "a-c",
        "a.txt",
        "a/b.txt",
        "a/b/c.txt",
        "a/b/d/e.txt",
        "ab/x",
        "b",
        "z/Z/z",
    ];
    for key in all {
        put(&repo, key, key.to_string()).await;
    }
    assert_eq!(keys(&repo, None).await, all, "full listing, sorted");
    assert_eq!(
        keys(&repo, Some("a")).await,
        ["a/b.txt", "a/b/c.txt", "a/b/d/e.txt"],
        "below a/ only"
    );
    assert_eq!(keys(&repo, Some("a/b/d")).await, ["a/b/d/e.txt"]);
    let metas: Vec<ObjectMeta> = repo.list(Some(&k("a"))).try_collect().await.expect("list");
    assert!(
        metas
            .iter()
            .all(|m| m.size == m.key.as_str().len() as u64 && m.version.is_some()),
        "{metas:?}"
    );
}

/// Delimited listings return the immediate objects and the sub-prefixes.
pub async fn list_delimited(repo: Repo) {
    for key in ["top.txt", "d1/x.txt", "d1/sub/y.txt", "d2/z.txt", "d1x.txt"] {
        put(&repo, key, "x").await;
    }
    let l = repo.list_with_delimiter(None).await.expect("root");
    let objs: Vec<_> = l.objects.iter().map(|m| m.key.as_str()).collect();
    let pre: Vec<_> = l.prefixes.iter().map(|p| p.as_str()).collect();
    assert_eq!((objs, pre), (vec!["d1x.txt", "top.txt"], vec!["d1", "d2"]));
    let l = repo.list_with_delimiter(Some(&k("d1"))).await.expect("d1");
    let objs: Vec<_> = l.objects.iter().map(|m| m.key.as_str()).collect();
    let pre: Vec<_> = l.prefixes.iter().map(|p| p.as_str()).collect();
    assert_eq!((objs, pre), (vec!["d1/x.txt"], vec!["d1/sub"]));
    assert_eq!(l.objects[0].size, 1);
}

/// Listings page through more than 1,000 keys without losing or repeating one.
pub async fn list_many(repo: Repo) {
    let want: Vec<String> = (0..1205)
        .map(|i| format!("many/d{}/k{i:05}", i % 2))
        .collect();
    stream::iter(want.clone())
        .map(|key| {
            let repo = repo.clone();
            async move {
                repo.put(&k(&key), Bytes::from_static(b"."), PutMode::Create)
                    .await
            }
        })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .expect("put 1,205 keys");
    let mut sorted = want.clone();
    sorted.sort();
    assert_eq!(
        keys(&repo, Some("many")).await,
        sorted,
        "recursive listing of 1,205 keys"
    );
    let l = repo
        .list_with_delimiter(Some(&k("many/d0")))
        .await
        .expect("delimited");
    assert_eq!(l.objects.len(), 603, "delimited listing of 603 keys");
    let l = repo
        .list_with_delimiter(Some(&k("many")))
        .await
        .expect("delimited");
    assert_eq!(l.prefixes, [k("many/d0"), k("many/d1")]);
}

/// Unicode, spaces, `+`, `%` and other printable characters round-trip unchanged.
pub async fn odd_keys(repo: Repo) {
    let odd = [
        "ü ñ/日本 語.txt",
        "a+b c.xml",
        "100%.txt",
        "tilde~x=y&z",
        "emoji 😀/f",
        "Ωmega/'quote'(1)[2]{3}",
        ".hidden",
        "dots..in..name",
        "trailing space ",
        " leading space",
    ];
    for key in odd {
        put(&repo, key, key.to_string()).await;
        assert_eq!(read(&repo, key).await, key.to_string(), "{key:?}");
    }
    let mut want: Vec<String> = odd.iter().map(|s| s.to_string()).collect();
    want.sort();
    assert_eq!(keys(&repo, None).await, want);
}

/// delete removes the object, and listings then show no empty prefixes.
pub async fn delete(repo: Repo) {
    put(&repo, "keep.txt", "k").await;
    put(&repo, "d/e/f.txt", "x").await;
    repo.delete(&k("d/e/f.txt")).await.expect("delete");
    assert_not_found(repo.head(&k("d/e/f.txt")).await, "after delete");
    repo.delete(&k("d/e/f.txt")).await.expect("second delete");
    let l = repo.list_with_delimiter(None).await.expect("list");
    assert!(
        l.prefixes.is_empty(),
        "emptied prefixes stay listed: {:?}",
        l.prefixes
    );
    assert_eq!(keys(&repo, None).await, ["keep.txt"]);
    put(&repo, "d/e/f.txt", "again").await;
    assert_eq!(
        read(&repo, "d/e/f.txt").await,
        "again",
        "write after delete"
    );
}

/// delete_prefix removes everything below a prefix and nothing beside it.
pub async fn delete_prefix(repo: Repo) {
    for key in ["p/a", "p/b/c", "p/b/d/e", "pq", "p-x/y", "q/p/a"] {
        put(&repo, key, "x").await;
    }
    assert_eq!(repo.delete_prefix(&k("p")).await.expect("delete_prefix"), 3);
    assert_eq!(keys(&repo, None).await, ["p-x/y", "pq", "q/p/a"]);
    assert_eq!(
        repo.delete_prefix(&k("nothing"))
            .await
            .expect("empty prefix"),
        0
    );
}

/// copy duplicates content; create-only refuses an existing target and leaves it.
pub async fn copy(repo: Repo) {
    put(&repo, "src.txt", "source").await;
    put(&repo, "dst.txt", "old").await;
    match repo.copy(&k("src.txt"), &k("dst.txt"), true).await {
        Err(Error::AlreadyExists(_)) => {}
        other => panic!("create-only copy onto an existing key: {other:?}"),
    }
    assert_eq!(read(&repo, "dst.txt").await, "old");
    let m = repo
        .copy(&k("src.txt"), &k("dst.txt"), false)
        .await
        .expect("copy");
    assert_eq!((m.key.as_str(), m.size), ("dst.txt", 6));
    assert_eq!(read(&repo, "dst.txt").await, "source");
    repo.copy(&k("src.txt"), &k("new/dir/copy.txt"), true)
        .await
        .expect("create-only copy to a new key");
    assert_eq!(read(&repo, "new/dir/copy.txt").await, "source");
    assert_eq!(read(&repo, "src.txt").await, "source", "source intact");
}

/// rename moves content; create-only refuses an existing target and leaves both.
pub async fn rename(repo: Repo) {
    put(&repo, "a.txt", "A").await;
    put(&repo, "b.txt", "B").await;
    match repo.rename(&k("a.txt"), &k("b.txt"), true).await {
        Err(Error::AlreadyExists(_)) => {}
        other => panic!("create-only rename onto an existing key: {other:?}"),
    }
    assert_eq!(
        (read(&repo, "a.txt").await, read(&repo, "b.txt").await),
        ("A".into(), "B".into())
    );
    repo.rename(&k("a.txt"), &k("sub/c.txt"), true)
        .await
        .expect("rename");
    assert_not_found(repo.head(&k("a.txt")).await, "renamed source");
    assert_eq!(read(&repo, "sub/c.txt").await, "A");
    repo.rename(&k("sub/c.txt"), &k("b.txt"), false)
        .await
        .expect("rename over");
    assert_eq!(read(&repo, "b.txt").await, "A");
    assert_eq!(keys(&repo, None).await, ["b.txt"]);
}

/// Create-only fails on an existing key and keeps the first content.
pub async fn create_only(repo: Repo) {
    let key = k("c/once.txt");
    repo.put(&key, "first".into(), PutMode::Create)
        .await
        .expect("first create");
    match repo.put(&key, "second".into(), PutMode::Create).await {
        Err(Error::AlreadyExists(loc)) => assert!(
            loc.to_string().contains("once.txt"),
            "error names the key: {loc}"
        ),
        other => panic!("second create: {other:?}"),
    }
    let body = stream::iter([Ok(Bytes::from("third"))]).boxed();
    assert!(matches!(
        repo.put_stream(&key, body, PutMode::Create).await,
        Err(Error::AlreadyExists(_))
    ));
    assert_eq!(read(&repo, "c/once.txt").await, "first");
}

/// Replace-if-version succeeds only on the current version.
pub async fn replace_if_version(repo: Repo) {
    let key = k("v.txt");
    let v1 = put(&repo, "v.txt", "one").await.version.expect("version");
    let v2 = repo
        .put(&key, "two".into(), PutMode::Update(v1.clone()))
        .await
        .expect("update on current")
        .version
        .expect("v");
    match repo
        .put(&key, "stale".into(), PutMode::Update(v1.clone()))
        .await
    {
        Err(Error::Precondition(..)) => {}
        other => panic!("update on a stale version: {other:?}"),
    }
    let body = stream::iter([Ok(Bytes::from("stale"))]).boxed();
    assert!(matches!(
        repo.put_stream(&key, body, PutMode::Update(v1.clone()))
            .await,
        Err(Error::Precondition(..))
    ));
    assert_eq!(read(&repo, "v.txt").await, "two");
    let body = stream::iter([Ok(Bytes::from("three"))]).boxed();
    repo.put_stream(&key, body, PutMode::Update(v2))
        .await
        .expect("streamed update on current");
    assert_eq!(read(&repo, "v.txt").await, "three");
    match repo
        .put(&k("absent"), "x".into(), PutMode::Update(v1))
        .await
    {
        Err(Error::Precondition(..)) => {}
        other => panic!("update of a missing key: {other:?}"),
    }
    assert_not_found(
        repo.head(&k("absent")).await,
        "failed update created nothing",
    );
}

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

/// Invalid keys cannot be built, so no backend ever sees one.
pub async fn invalid_paths(repo: Repo) {
    for bad in [
        "", "/abs", "a//b", "a/", "..", "a/../b", "./a", "a\\b", "a\0b", "a\tb", "a\u{1b}b",
    ] {
        let e = Key::new(bad).expect_err(bad);
        assert!(matches!(e, Error::InvalidPath { .. }), "{bad:?}: {e}");
    }
    assert!(Key::new("x".repeat(crate::MAX_KEY_BYTES + 1)).is_err());
    // What a valid key stays valid through the backend, prefix and all.
    put(&repo, "valid/key", "ok").await;
    assert_eq!(keys(&repo, Some("valid")).await, ["valid/key"]);
}
