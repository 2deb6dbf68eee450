//! A layer that counts the operations made on a repository: used by the sync tests and
//! benchmarks to show that a no-op sync makes no per-object request.

use crate::repository::*;
use crate::{Key, Result};
use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Operation counts of a [`Counting`] repository.
#[derive(Debug, Default)]
pub struct Counts {
    /// `list` calls.
    pub list: AtomicU64,
    /// `list_with_delimiter` calls.
    pub list_with_delimiter: AtomicU64,
    /// `head` calls.
    pub head: AtomicU64,
    /// `get`/`get_range` calls.
    pub get: AtomicU64,
    /// `put`/`put_stream` calls.
    pub put: AtomicU64,
    /// `delete`, `copy`, `rename` and `delete_prefix` calls.
    pub other: AtomicU64,
}

impl Counts {
    /// Requests about single objects (everything but listings).
    pub fn per_object(&self) -> u64 {
        [&self.head, &self.get, &self.put, &self.other]
            .iter()
            .map(|c| c.load(Relaxed))
            .sum()
    }
    /// Listing calls.
    pub fn listings(&self) -> u64 {
        self.list.load(Relaxed) + self.list_with_delimiter.load(Relaxed)
    }
}

/// Wraps a repository and counts the calls made on it.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use harmony_repo::{Counting, Key, MemoryRepository, Repository};
/// use std::sync::Arc;
/// let repo = Counting::new(Arc::new(MemoryRepository::new()));
/// let _ = repo.head(&Key::new("x")?).await;
/// assert_eq!(repo.counts().per_object(), 1);
/// # Ok::<_, harmony_repo::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Counting {
    inner: Arc<dyn Repository>,
    counts: Arc<Counts>,
}

impl Counting {
    /// Counts the calls made on `inner`.
    pub fn new(inner: Arc<dyn Repository>) -> Self {
        Counting {
            inner,
            counts: Arc::default(),
        }
    }
    /// The counts so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }
}

impl fmt::Display for Counting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

#[async_trait]
impl Repository for Counting {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        self.counts.head.fetch_add(1, Relaxed);
        self.inner.head(key).await
    }
    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        self.counts.get.fetch_add(1, Relaxed);
        self.inner.get_range(key, range).await
    }
    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        self.counts.put.fetch_add(1, Relaxed);
        self.inner.put(key, data, mode).await
    }
    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        self.counts.put.fetch_add(1, Relaxed);
        self.inner.put_stream(key, body, mode).await
    }
    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        self.counts.list.fetch_add(1, Relaxed);
        self.inner.list(prefix).boxed()
    }
    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        self.counts.list_with_delimiter.fetch_add(1, Relaxed);
        self.inner.list_with_delimiter(prefix).await
    }
    async fn delete(&self, key: &Key) -> Result<()> {
        self.counts.other.fetch_add(1, Relaxed);
        self.inner.delete(key).await
    }
    async fn delete_prefix(&self, prefix: &Key) -> Result<u64> {
        self.counts.other.fetch_add(1, Relaxed);
        self.inner.delete_prefix(prefix).await
    }
    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        self.counts.other.fetch_add(1, Relaxed);
        self.inner.copy(from, to, create_only).await
    }
    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        self.counts.other.fetch_add(1, Relaxed);
        self.inner.rename(from, to, create_only).await
    }
}
