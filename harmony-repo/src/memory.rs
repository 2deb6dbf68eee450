//! An in-memory repository: complete, for tests and embedding.

use crate::error::{Error, Location, Result};
use crate::key::Key;
use crate::repository::*;
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{StreamExt, TryStreamExt};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

#[derive(Clone)]
struct Entry {
    data: Bytes,
    meta: ObjectMeta,
}

/// A repository held in memory; it forgets everything when dropped.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use harmony_repo::{Key, MemoryRepository, PutMode, Repository};
/// let repo = MemoryRepository::new();
/// repo.put(&Key::new("a/b.txt")?, "hello".into(), PutMode::Overwrite).await?;
/// assert_eq!(repo.head(&Key::new("a/b.txt")?).await?.size, 5);
/// # Ok::<_, harmony_repo::Error>(()) }).unwrap();
/// ```
#[derive(Default)]
pub struct MemoryRepository {
    objects: Mutex<BTreeMap<Key, Entry>>,
    next_version: AtomicU64,
}

impl MemoryRepository {
    /// An empty repository.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Key, Entry>> {
        // A panic while holding the lock cannot leave a half-written entry: keep going.
        self.objects.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn loc(&self, key: &Key) -> Location {
        Location::new(self, key)
    }

    fn insert(&self, key: &Key, data: Bytes, mode: &PutMode) -> Result<ObjectMeta> {
        let mut map = self.lock();
        check_mode(&map, key, mode, || self.loc(key))?;
        let v = self.next_version.fetch_add(1, Ordering::Relaxed) + 1;
        let meta = ObjectMeta {
            key: key.clone(),
            size: data.len() as u64,
            last_modified: Some(SystemTime::now()),
            version: Some(Version(v.to_string())),
            digest: Some(Digest::md5(&data)),
        };
        map.insert(
            key.clone(),
            Entry {
                data,
                meta: meta.clone(),
            },
        );
        Ok(meta)
    }

    fn entry(&self, key: &Key) -> Result<Entry> {
        self.lock()
            .get(key)
            .cloned()
            .ok_or_else(|| Error::NotFound(self.loc(key)))
    }
}

fn check_mode(
    map: &BTreeMap<Key, Entry>,
    key: &Key,
    mode: &PutMode,
    loc: impl FnOnce() -> Location,
) -> Result<()> {
    match (mode, map.get(key)) {
        (PutMode::Create, Some(_)) => Err(Error::AlreadyExists(loc())),
        (PutMode::Update(v), Some(e)) if e.meta.version.as_ref() != Some(v) => {
            Err(Error::Precondition(loc(), format!("version is not {v}")))
        }
        (PutMode::Update(v), None) => Err(Error::Precondition(
            loc(),
            format!("no object (expected version {v})"),
        )),
        _ => Ok(()),
    }
}

impl fmt::Debug for MemoryRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryRepository")
            .field("objects", &self.lock().len())
            .finish()
    }
}

impl fmt::Display for MemoryRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("memory://")
    }
}

fn under(key: &Key, prefix: Option<&Key>) -> bool {
    prefix.is_none_or(|p| key.strip_prefix(p).is_some())
}

#[async_trait]
impl Repository for MemoryRepository {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        Ok(self.entry(key)?.meta)
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        let e = self.entry(key)?;
        let r = clamp_range(|| self.loc(key), range, e.meta.size)?;
        let body = e.data.slice(r.start as usize..r.end as usize);
        Ok(GetResult {
            meta: e.meta,
            range: r,
            body: once_stream(body),
        })
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        self.insert(key, data, &mode)
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        let data = body
            .try_fold(BytesMut::new(), |mut acc, chunk| async move {
                acc.extend_from_slice(&chunk);
                Ok(acc)
            })
            .await?;
        self.insert(key, data.freeze(), &mode)
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        let metas: Vec<Result<ObjectMeta>> = self
            .lock()
            .values()
            .filter(|e| under(&e.meta.key, prefix))
            .map(|e| Ok(e.meta.clone()))
            .collect();
        futures::stream::iter(metas).boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        let map = self.lock();
        let mut out = Listing::default();
        let mut prefixes = BTreeSet::new();
        for e in map.values().filter(|e| under(&e.meta.key, prefix)) {
            let rel = match prefix {
                Some(p) => match e.meta.key.strip_prefix(p) {
                    Some(rel) => rel,
                    None => continue,
                },
                None => e.meta.key.clone(),
            };
            match rel.as_str().split_once('/') {
                Some((first, _)) => {
                    prefixes.insert(Key::join_opt(prefix, &Key::new(first)?)?);
                }
                None => out.objects.push(e.meta.clone()),
            }
        }
        out.prefixes = prefixes.into_iter().collect();
        Ok(out)
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let data = self.entry(from)?.data;
        let mode = if create_only {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        self.insert(to, data, &mode)
    }

    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let mut map = self.lock();
        let e = map
            .get(from)
            .cloned()
            .ok_or_else(|| Error::NotFound(self.loc(from)))?;
        if create_only && map.contains_key(to) {
            return Err(Error::AlreadyExists(self.loc(to)));
        }
        map.remove(from);
        let mut meta = e.meta;
        meta.key = to.clone();
        meta.version = Some(Version(
            (self.next_version.fetch_add(1, Ordering::Relaxed) + 1).to_string(),
        ));
        map.insert(
            to.clone(),
            Entry {
                data: e.data,
                meta: meta.clone(),
            },
        );
        Ok(meta)
    }
}
