//! A view of a repository below a fixed prefix: the keys it takes and returns are
//! relative to that prefix, and no key can name anything outside it.

use crate::error::{Error, Result};
use crate::key::Key;
use crate::repository::*;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A repository seen from below `prefix`.
///
/// Used for a settings file's `rootPath` and for the Harmony layouts.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use harmony_repo::{Key, MemoryRepository, Prefixed, PutMode, Repository};
/// use std::sync::Arc;
/// let inner = Arc::new(MemoryRepository::new());
/// let view = Prefixed::new(inner.clone(), Key::new("shared-config/System1")?);
/// view.put(&Key::new("hosts/a.xml")?, "x".into(), PutMode::Overwrite).await?;
/// assert!(inner.head(&Key::new("shared-config/System1/hosts/a.xml")?).await.is_ok());
/// # Ok::<_, harmony_repo::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct Prefixed {
    inner: Arc<dyn Repository>,
    prefix: Key,
}

impl Prefixed {
    /// A view of `inner` below `prefix`.
    pub fn new(inner: Arc<dyn Repository>, prefix: Key) -> Self {
        Prefixed { inner, prefix }
    }

    /// The prefix, relative to the inner repository.
    pub fn prefix(&self) -> &Key {
        &self.prefix
    }

    /// The repository this view looks into.
    pub fn inner(&self) -> &Arc<dyn Repository> {
        &self.inner
    }

    fn full(&self, key: &Key) -> Result<Key> {
        self.prefix.join(key.as_str())
    }

    fn strip(&self, mut meta: ObjectMeta) -> Result<ObjectMeta> {
        meta.key = meta.key.strip_prefix(&self.prefix).ok_or_else(|| {
            Error::invalid_path(
                meta.key.to_string(),
                format!("listed outside the prefix '{}'", self.prefix),
            )
        })?;
        Ok(meta)
    }

    /// Maps an inner error's key back to this view's keys and names the view.
    fn err(&self, e: Error) -> Error {
        let me = self.to_string();
        let prefix = self.prefix.clone();
        e.map_location(|l| {
            l.backend = me;
            if let Some(k) = &l.key {
                if let Some(rel) = Key::new(k.clone())
                    .ok()
                    .and_then(|k| k.strip_prefix(&prefix))
                {
                    l.key = Some(rel.to_string());
                }
            }
        })
    }
}

impl fmt::Debug for Prefixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prefixed")
            .field("inner", &self.inner)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl fmt::Display for Prefixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.to_string();
        write!(f, "{}/{}", inner.trim_end_matches('/'), self.prefix)
    }
}

#[async_trait]
impl Repository for Prefixed {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        let m = self
            .inner
            .head(&self.full(key)?)
            .await
            .map_err(|e| self.err(e))?;
        self.strip(m)
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        let mut g = self
            .inner
            .get_range(&self.full(key)?, range)
            .await
            .map_err(|e| self.err(e))?;
        g.meta = self.strip(g.meta)?;
        Ok(g)
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        let m = self
            .inner
            .put(&self.full(key)?, data, mode)
            .await
            .map_err(|e| self.err(e))?;
        self.strip(m)
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        let m = self
            .inner
            .put_stream(&self.full(key)?, body, mode)
            .await
            .map_err(|e| self.err(e))?;
        self.strip(m)
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        let full = match prefix.map(|p| self.full(p)).transpose() {
            Ok(k) => k.unwrap_or_else(|| self.prefix.clone()),
            Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
        };
        self.inner
            .list(Some(&full))
            .map_err(|e| self.err(e))
            .and_then(|m| futures::future::ready(self.strip(m)))
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        let full = match prefix {
            Some(p) => self.full(p)?,
            None => self.prefix.clone(),
        };
        let l = self
            .inner
            .list_with_delimiter(Some(&full))
            .await
            .map_err(|e| self.err(e))?;
        Ok(Listing {
            objects: l
                .objects
                .into_iter()
                .map(|m| self.strip(m))
                .collect::<Result<_>>()?,
            prefixes: l
                .prefixes
                .into_iter()
                .map(|p| {
                    p.strip_prefix(&self.prefix)
                        .ok_or_else(|| Error::invalid_path(p.to_string(), "outside prefix"))
                })
                .collect::<Result<_>>()?,
        })
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        self.inner
            .delete(&self.full(key)?)
            .await
            .map_err(|e| self.err(e))
    }

    async fn delete_prefix(&self, prefix: &Key) -> Result<u64> {
        self.inner
            .delete_prefix(&self.full(prefix)?)
            .await
            .map_err(|e| self.err(e))
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let m = self
            .inner
            .copy(&self.full(from)?, &self.full(to)?, create_only)
            .await
            .map_err(|e| self.err(e))?;
        self.strip(m)
    }

    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let m = self
            .inner
            .rename(&self.full(from)?, &self.full(to)?, create_only)
            .await
            .map_err(|e| self.err(e))?;
        self.strip(m)
    }
}
