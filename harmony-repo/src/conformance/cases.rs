//! The conformance cases. Each takes a repository (already in a fresh prefix) and
//! panics with a message naming the broken behaviour.

use crate::{Digest, Error, Key, Md5Hasher, ObjectMeta, PutMode, Repository};
use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

pub use super::concurrency::{
    concurrent_cas, interrupted_put, racing_creates, reader_during_write,
};
pub use super::layouts::layouts;

type Repo = Arc<dyn Repository>;

/// Builds a key, panicking on an invalid literal.
pub fn k(s: &str) -> Key {
    Key::new(s).unwrap_or_else(|e| panic!("test key {s:?}: {e}"))
}

pub(super) async fn put(repo: &Repo, key: &str, data: impl Into<Bytes>) -> ObjectMeta {
    repo.put(&k(key), data.into(), PutMode::Overwrite)
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"))
}

pub(super) async fn read(repo: &Repo, key: &str) -> Bytes {
    let g = repo
        .get(&k(key))
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e}"));
    g.bytes()
        .await
        .unwrap_or_else(|e| panic!("read body of {key}: {e}"))
}

pub(super) async fn keys(repo: &Repo, prefix: Option<&str>) -> Vec<String> {
    let p = prefix.map(k);
    repo.list(p.as_ref())
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .expect("list")
}

pub(super) fn assert_not_found<T: std::fmt::Debug>(r: crate::Result<T>, what: &str) {
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
