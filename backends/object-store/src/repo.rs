//! The adapter: any `object_store::ObjectStore` as a harmony-repo `Repository`.

use crate::errors::ErrorContext;
use crate::tuning::Tuning;
use crate::version;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use harmony_repo::{
    clamp_range, once_stream, ByteStream, Error, GetResult, Key, ListStream, Listing, Location,
    ObjectMeta, PutMode, Repository, Result,
};
use object_store::path::Path;
use object_store::{
    Attributes, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutOptions, PutPayload,
};
use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use tokio::sync::{Semaphore, SemaphorePermit};

/// The segment reserved for in-progress uploads: hidden from listings, refused as a target.
pub const RESERVED_SEGMENT: &str = ".harmony-tmp";

/// What kind of store is behind the adapter: decides version tokens and digests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// S3: ETags are content hashes (single-part: the MD5), so tokens add a write id.
    S3,
    /// Azure Blob: ETags change on every write.
    Azure,
    /// Another `object_store` backend: ETag as version, no digest.
    Other,
}

/// A repository over an `object_store` store: S3, Azure Blob or any other.
///
/// ```no_run
/// # async fn demo() -> harmony_repo::Result<()> {
/// use harmony_repo::settings::S3Settings;
/// use harmony_repo::{Key, PutMode, Repository};
/// use harmony_repo_object_store::{ObjectStoreRepository, Tuning};
/// let s3 = S3Settings { bucket: "my-bucket".into(), region: Some("eu-west-1".into()), https: true, ..Default::default() };
/// let repo = ObjectStoreRepository::s3(&s3, Tuning::default())?;
/// repo.check().await?; // the bucket exists and the credentials work
/// repo.put(&Key::new("hosts/acme.xml")?, "<host/>".into(), PutMode::Create).await?;
/// # Ok(()) }
/// ```
pub struct ObjectStoreRepository {
    pub(crate) store: Arc<dyn ObjectStore>,
    pub(crate) name: String,
    pub(crate) flavor: Flavor,
    pub(crate) container_word: &'static str,
    pub(crate) container: String,
    pub(crate) secrets: Vec<String>,
    pub(crate) tuning: Tuning,
    pub(crate) limit: Semaphore,
}

impl ObjectStoreRepository {
    /// Wraps any store. `name` is the repository's display URL (no secrets in it).
    pub fn new(store: Arc<dyn ObjectStore>, name: impl Into<String>, tuning: Tuning) -> Self {
        Self::with_flavor(
            store,
            name.into(),
            Flavor::Other,
            "store",
            String::new(),
            vec![],
            tuning,
        )
    }

    pub(crate) fn with_flavor(
        store: Arc<dyn ObjectStore>,
        name: String,
        flavor: Flavor,
        container_word: &'static str,
        container: String,
        secrets: Vec<String>,
        tuning: Tuning,
    ) -> Self {
        let limit = Semaphore::new(tuning.max_concurrency.max(1));
        ObjectStoreRepository {
            store,
            name,
            flavor,
            container_word,
            container,
            secrets,
            tuning,
            limit,
        }
    }

    /// The store underneath.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The tuning in force.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// Checks that the bucket or container exists and the credentials are accepted
    /// (one listing request). `open` calls it.
    pub async fn check(&self) -> Result<()> {
        let _p = self.permit().await?;
        let probe = Path::from(RESERVED_SEGMENT);
        self.store
            .list_with_delimiter(Some(&probe))
            .await
            .map(|_| ())
            .map_err(|e| self.err(e, None))
    }

    pub(crate) async fn permit(&self) -> Result<SemaphorePermit<'_>> {
        self.limit
            .acquire()
            .await
            .map_err(|e| Error::backend(Location::repo(&self.name), e))
    }

    pub(crate) fn err(&self, e: object_store::Error, key: Option<&Key>) -> Error {
        ErrorContext {
            repo: &self.name,
            container_word: self.container_word,
            container: &self.container,
            secrets: &self.secrets,
        }
        .map(e, key.map(|k| k.as_str()))
    }

    pub(crate) fn loc(&self, key: &Key) -> Location {
        Location::new(&self.name, key)
    }

    pub(crate) fn path(&self, key: &Key) -> Result<Path> {
        Path::parse(key.as_str()).map_err(|e| Error::invalid_path(key.as_str(), e.to_string()))
    }

    /// Refuses keys that name the reserved upload area.
    pub(crate) fn writable(&self, key: &Key) -> Result<Path> {
        if key.segments().any(|s| s == RESERVED_SEGMENT) {
            return Err(Error::invalid_path(
                key.as_str(),
                format!("the segment '{RESERVED_SEGMENT}' is reserved for uploads in progress"),
            ));
        }
        self.path(key)
    }

    pub(crate) fn meta(
        &self,
        key: Key,
        m: &object_store::ObjectMeta,
        attrs: Option<&Attributes>,
    ) -> ObjectMeta {
        version::meta(self.flavor, key, m, attrs)
    }

    pub(crate) fn put_options(&self, mode: &PutMode, key: &Key) -> Result<PutOptions> {
        Ok(PutOptions {
            mode: version::put_mode(mode, || self.loc(key))?,
            attributes: version::write_attributes(self.flavor),
            ..Default::default()
        })
    }

    /// Maps a failed put, with the mode deciding what a missing object means.
    pub(crate) fn put_err(&self, e: object_store::Error, key: &Key, mode: &PutMode) -> Error {
        match (self.err(e, Some(key)), mode) {
            (Error::NotFound(l), PutMode::Update(v)) => {
                Error::Precondition(l, format!("no object (expected version {v})"))
            }
            (Error::Precondition(l, _), PutMode::Create) => Error::AlreadyExists(l),
            (e, _) => e,
        }
    }

    /// One put request, honouring `mode`.
    pub(crate) async fn put_payload(
        &self,
        key: &Key,
        path: &Path,
        payload: PutPayload,
        mode: PutMode,
    ) -> Result<ObjectMeta> {
        let opts = self.put_options(&mode, key)?;
        let size = payload.content_length() as u64;
        let wid = version::write_id(&opts.attributes);
        let _p = self.permit().await?;
        let r = self
            .store
            .put_opts(path, payload, opts)
            .await
            .map_err(|e| self.put_err(e, key, &mode))?;
        Ok(version::put_meta(self.flavor, key.clone(), size, &r, wid))
    }

    async fn head_raw(&self, key: &Key) -> Result<ObjectMeta> {
        let path = self.path(key)?;
        let _p = self.permit().await?;
        let r = self
            .store
            .get_opts(&path, GetOptions::new().with_head(true))
            .await
            .map_err(|e| self.err(e, Some(key)))?;
        Ok(self.meta(key.clone(), &r.meta, Some(&r.attributes)))
    }

    fn listed(&self, m: object_store::ObjectMeta) -> Option<Result<ObjectMeta>> {
        let raw = m.location.as_ref();
        if raw.split('/').any(|s| s == RESERVED_SEGMENT) {
            return None;
        }
        match Key::new(raw) {
            Ok(k) => Some(Ok(self.meta(k, &m, None))),
            Err(e) => {
                tracing::warn!(repo = %self.name, key = raw, "skipping an object whose key is not valid here: {e}");
                None
            }
        }
    }
}

impl fmt::Display for ObjectStoreRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for ObjectStoreRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The store's own Debug may show credentials: print only what is safe.
        f.debug_struct("ObjectStoreRepository")
            .field("name", &self.name)
            .field("flavor", &self.flavor)
            .field("tuning", &self.tuning)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Repository for ObjectStoreRepository {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        self.head_raw(key).await
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        let path = self.path(key)?;
        let loc = || self.loc(key);
        if let Some(r) = &range {
            if r.start > r.end {
                clamp_range(loc, range.clone(), u64::MAX)?;
            }
            if r.start >= r.end {
                // An empty range: the stores refuse it, so answer from the metadata.
                let meta = self.head_raw(key).await?;
                let r = clamp_range(loc, range, meta.size)?;
                return Ok(GetResult {
                    meta,
                    range: r,
                    body: once_stream(Bytes::new()),
                });
            }
        }
        let opts = GetOptions {
            range: range.clone().map(GetRange::Bounded),
            ..Default::default()
        };
        let got = {
            let _p = self.permit().await?;
            self.store.get_opts(&path, opts).await
        };
        let got = match got {
            Ok(g) => g,
            Err(e) => {
                let e = self.err(e, Some(key));
                return match (range, e) {
                    // A start at or past the end: the stores differ, the metadata decides.
                    (Some(r), e) if r.start > 0 && !e.is_not_found() => {
                        let meta = self.head_raw(key).await?;
                        if r.start < meta.size {
                            return Err(e);
                        }
                        let r = clamp_range(loc, Some(r), meta.size)?;
                        Ok(GetResult {
                            meta,
                            range: r,
                            body: once_stream(Bytes::new()),
                        })
                    }
                    (_, e) => Err(e),
                };
            }
        };
        let meta = self.meta(key.clone(), &got.meta, Some(&got.attributes));
        let r = got.range.clone();
        let name = self.name.clone();
        let k = key.to_string();
        let body = got
            .into_stream()
            .map_err(move |e| Error::backend(Location::new(&name, &k), e))
            .boxed();
        Ok(GetResult {
            meta,
            range: r,
            body,
        })
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        let path = self.writable(key)?;
        self.put_payload(key, &path, data.into(), mode).await
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        crate::upload::put_stream(self, key, body, mode).await
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        let path = match prefix.map(|p| self.path(p)).transpose() {
            Ok(p) => p,
            Err(e) => return futures::stream::once(async { Err(e) }).boxed(),
        };
        // One listing is one operation: it holds a permit while it runs.
        futures::stream::once(self.permit())
            .map_ok(move |permit| {
                self.store
                    .list(path.as_ref())
                    .map(move |r| {
                        let _held = &permit;
                        r
                    })
                    .map_err(|e| self.err(e, None))
            })
            .try_flatten()
            .try_filter_map(|m| futures::future::ready(self.listed(m).transpose()))
            .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        let path = prefix.map(|p| self.path(p)).transpose()?;
        let l = {
            let _p = self.permit().await?;
            self.store
                .list_with_delimiter(path.as_ref())
                .await
                .map_err(|e| self.err(e, None))?
        };
        let mut out = Listing::default();
        for m in l.objects {
            if let Some(m) = self.listed(m) {
                out.objects.push(m?);
            }
        }
        for p in l.common_prefixes {
            let raw = p.as_ref();
            if raw.rsplit('/').next() == Some(RESERVED_SEGMENT) {
                continue;
            }
            match Key::new(raw) {
                Ok(k) => out.prefixes.push(k),
                Err(e) => {
                    tracing::warn!(repo = %self.name, prefix = raw, "skipping a prefix that is not a valid key: {e}")
                }
            }
        }
        out.objects.sort_by(|a, b| a.key.cmp(&b.key));
        out.prefixes.sort();
        Ok(out)
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        let path = self.path(key)?;
        let _p = self.permit().await?;
        match self
            .store
            .delete(&path)
            .await
            .map_err(|e| self.err(e, Some(key)))
        {
            Err(Error::NotFound(_)) => Ok(()),
            r => r,
        }
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let src = self.path(from)?;
        let dst = self.writable(to)?;
        {
            let _p = self.permit().await?;
            let r = if create_only {
                self.store.copy_if_not_exists(&src, &dst).await
            } else {
                self.store.copy(&src, &dst).await
            };
            r.map_err(|e| match self.err(e, Some(to)) {
                // A missing source is reported on the target's path by some stores.
                Error::NotFound(_) => Error::NotFound(self.loc(from)),
                Error::Precondition(l, _) if create_only => Error::AlreadyExists(l),
                e => e,
            })?;
        }
        self.head_raw(to).await
    }
}
