//! The sync engine: plans, no-op cost, conflicts, mirror deletes, layouts.
use harmony_repo::layout::System;
use harmony_repo::sync::{self, SyncOptions};
use harmony_repo::*;
use std::sync::Arc;

fn k(s: &str) -> Key {
    Key::new(s).unwrap()
}

/// A repository without digests (like a plain folder), to exercise the state record;
/// with `Lists`, it has digests but lists other version tokens than its writes return
/// (like S3, whose listings cannot see the write id).
#[derive(Debug)]
struct NoDigest(MemoryRepository);
#[derive(Debug)]
struct Lists(MemoryRepository);
impl std::fmt::Display for NoDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("nodigest://")
    }
}
#[async_trait::async_trait]
impl Repository for NoDigest {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        self.0
            .head(key)
            .await
            .map(|m| ObjectMeta { digest: None, ..m })
    }
    async fn get_range(&self, key: &Key, r: Option<std::ops::Range<u64>>) -> Result<GetResult> {
        self.0.get_range(key, r).await
    }
    async fn put(&self, key: &Key, d: bytes::Bytes, m: PutMode) -> Result<ObjectMeta> {
        self.0
            .put(key, d, m)
            .await
            .map(|m| ObjectMeta { digest: None, ..m })
    }
    async fn put_stream(&self, key: &Key, b: ByteStream, m: PutMode) -> Result<ObjectMeta> {
        self.0.put_stream(key, b, m).await
    }
    fn list(&self, p: Option<&Key>) -> ListStream<'_> {
        use futures::TryStreamExt;
        Box::pin(self.0.list(p).map_ok(|m| ObjectMeta { digest: None, ..m }))
    }
    async fn list_with_delimiter(&self, p: Option<&Key>) -> Result<Listing> {
        self.0.list_with_delimiter(p).await
    }
    async fn delete(&self, key: &Key) -> Result<()> {
        self.0.delete(key).await
    }
    async fn copy(&self, a: &Key, b: &Key, c: bool) -> Result<ObjectMeta> {
        self.0.copy(a, b, c).await
    }
}

/// Listed tokens work as conditions too, as they do on S3.
fn unlisted(m: PutMode) -> PutMode {
    match m {
        PutMode::Update(Version(v)) => {
            PutMode::Update(Version(v.trim_start_matches("listed-").to_string()))
        }
        m => m,
    }
}

impl std::fmt::Display for Lists {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("lists://")
    }
}
#[async_trait::async_trait]
impl Repository for Lists {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        self.0.head(key).await
    }
    async fn get_range(&self, key: &Key, r: Option<std::ops::Range<u64>>) -> Result<GetResult> {
        self.0.get_range(key, r).await
    }
    async fn put(&self, key: &Key, d: bytes::Bytes, m: PutMode) -> Result<ObjectMeta> {
        self.0.put(key, d, unlisted(m)).await
    }
    async fn put_stream(&self, key: &Key, b: ByteStream, m: PutMode) -> Result<ObjectMeta> {
        self.0.put_stream(key, b, unlisted(m)).await
    }
    fn list(&self, p: Option<&Key>) -> ListStream<'_> {
        use futures::TryStreamExt;
        let listed = |v: Option<Version>| v.map(|v| Version(format!("listed-{v}")));
        Box::pin(self.0.list(p).map_ok(move |m| ObjectMeta {
            version: listed(m.version.clone()),
            ..m
        }))
    }
    async fn list_with_delimiter(&self, p: Option<&Key>) -> Result<Listing> {
        self.0.list_with_delimiter(p).await
    }
    async fn delete(&self, key: &Key) -> Result<()> {
        self.0.delete(key).await
    }
    async fn copy(&self, a: &Key, b: &Key, c: bool) -> Result<ObjectMeta> {
        self.0.copy(a, b, c).await
    }
}

async fn fill(repo: &dyn Repository, n: usize) {
    for i in 0..n {
        repo.put(
            &k(&format!("d{}/f{i}.xml", i % 3)),
            format!("content {i}").into(),
            PutMode::Overwrite,
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn noop_sync_is_one_listing_per_side_with_state_or_digests() {
    let state = tempfile::tempdir().unwrap();
    for (digests, lists) in [(true, false), (false, false), (false, true)] {
        let src: Arc<dyn Repository> = if digests {
            Arc::new(MemoryRepository::new())
        } else {
            Arc::new(NoDigest(MemoryRepository::new()))
        };
        let dst: Arc<dyn Repository> = if lists {
            Arc::new(Lists(MemoryRepository::new()))
        } else {
            Arc::new(NoDigest(MemoryRepository::new()))
        };
        fill(&*src, 50).await;
        let opts = SyncOptions {
            state_path: Some(state.path().join(format!("{digests}-{lists}.tsv"))),
            ..Default::default()
        };
        let plan = sync::plan(&*src, &*dst, &opts).await.unwrap();
        let s = sync::apply(&plan, &*src, &*dst, &opts).await;
        assert_eq!((s.created, s.failed, s.conflicts), (50, 0, 0));
        // Change one file without changing its size: must be seen (no timestamp trust).
        src.put(&k("d0/f0.xml"), "CONTENT 0".into(), PutMode::Overwrite)
            .await
            .unwrap();
        let (cs, cd) = (Counting::new(src.clone()), Counting::new(dst.clone()));
        let plan = sync::plan(&cs, &cd, &opts).await.unwrap();
        assert_eq!(plan.updates(), 1, "the same-size change is found");
        let s = sync::apply(&plan, &cs, &cd, &opts).await;
        assert_eq!((s.updated, s.unchanged), (1, 49));
        let (cs, cd) = (Counting::new(src.clone()), Counting::new(dst.clone()));
        let plan = sync::plan(&cs, &cd, &opts).await.unwrap();
        assert_eq!(plan.changes(), 0);
        assert_eq!((cs.counts().listings(), cd.counts().listings()), (1, 1));
        assert_eq!(
            cs.counts().per_object() + cd.counts().per_object(),
            0,
            "no per-object request (digests: {digests})"
        );
    }
}

#[tokio::test]
async fn conflicts_are_reported_not_overwritten_unless_forced() {
    let (src, dst) = (MemoryRepository::new(), MemoryRepository::new());
    fill(&src, 3).await;
    fill(&dst, 3).await;
    src.put(
        &k("d0/f0.xml"),
        "new from source".into(),
        PutMode::Overwrite,
    )
    .await
    .unwrap();
    dst.put(
        &k("extra.xml"),
        "only in destination".into(),
        PutMode::Overwrite,
    )
    .await
    .unwrap();
    let opts = SyncOptions {
        delete: true,
        ..Default::default()
    };
    let plan = sync::plan(&src, &dst, &opts).await.unwrap();
    assert_eq!(
        (plan.updates(), plan.deletes(), plan.unchanged.len()),
        (1, 1, 2)
    );
    // A cluster node edits both targets after the plan was made.
    dst.put(
        &k("d0/f0.xml"),
        "edited by harmony-2".into(),
        PutMode::Overwrite,
    )
    .await
    .unwrap();
    dst.put(&k("extra.xml"), "edited too".into(), PutMode::Overwrite)
        .await
        .unwrap();
    let s = sync::apply(&plan, &src, &dst, &opts).await;
    assert_eq!((s.updated, s.deleted, s.conflicts), (0, 0, 2), "{s:?}");
    assert_eq!(
        dst.get(&k("d0/f0.xml"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        "edited by harmony-2"
    );
    let forced = SyncOptions {
        force: true,
        ..opts
    };
    let s = sync::apply(&plan, &src, &dst, &forced).await;
    assert_eq!((s.updated, s.deleted, s.conflicts), (1, 1, 0));
    assert_eq!(
        dst.get(&k("d0/f0.xml"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        "new from source"
    );
}

#[tokio::test]
async fn mirror_of_a_config_tree_leaves_runtime_trees() {
    let root: Arc<dyn Repository> = Arc::new(MemoryRepository::new());
    let sys = System::new(root.clone(), Name::new("System1").unwrap());
    let node = sys.runtime(&Name::new("harmony-1").unwrap()).await.unwrap();
    node.put(&k("mdn/1"), "receipt".into(), PutMode::Create)
        .await
        .unwrap();
    sys.config()
        .put(&k("hosts/old.xml"), "old".into(), PutMode::Create)
        .await
        .unwrap();
    let src = MemoryRepository::new();
    src.put(&k("hosts/new.xml"), "new".into(), PutMode::Create)
        .await
        .unwrap();
    let opts = SyncOptions {
        delete: true,
        ..Default::default()
    };
    let config = sys.config();
    let plan = sync::plan(&src, &config, &opts).await.unwrap();
    assert_eq!(
        (plan.creates(), plan.deletes()),
        (1, 1),
        "{:?}",
        plan.actions
    );
    let s = sync::apply(&plan, &src, &config, &opts).await;
    assert!(s.ok(), "{s:?}");
    assert_eq!(
        node.get(&k("mdn/1")).await.unwrap().bytes().await.unwrap(),
        "receipt"
    );
}
