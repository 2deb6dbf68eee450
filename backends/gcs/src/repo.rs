//! The repository: reads, listings, deletes and copies (writes are in `upload.rs`).

use crate::config::GcsBuilder;
use crate::errors::{self, Cond};
use async_trait::async_trait;
use base64::Engine as _;
use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use gcloud_storage::client::Client;
use gcloud_storage::http::objects::copy::CopyObjectRequest;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range as GcsRange;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::Object;
use harmony_repo::{
    clamp_range, ByteStream, Digest, Error, GetResult, Key, ListStream, Listing, Location,
    ObjectMeta, PutMode, Repository, Result, Version,
};
use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

/// Page size of listings (the GCS maximum; the emulator returns everything without one).
const PAGE: i32 = 1000;
/// Reads retried when the object is replaced between its metadata and its body (a key
/// under heavy compare-and-swap traffic can be replaced several times in a row).
const READ_ATTEMPTS: u64 = 64;

/// A Google Cloud Storage bucket as a [`Repository`]: keys are object names.
///
/// Versions are object generations. Create-only puts send `ifGenerationMatch=0` and
/// replace-if-version puts `ifGenerationMatch=<generation>`. Build one with
/// [`GcsBuilder`] or [`open`](crate::open).
pub struct GcsRepository {
    pub(crate) client: Client,
    pub(crate) bucket: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) threshold: usize,
}

impl GcsRepository {
    pub(crate) fn new(client: Client, b: GcsBuilder) -> Self {
        GcsRepository {
            client,
            bucket: b.bucket,
            endpoint: b.endpoint,
            threshold: b.stream_threshold,
        }
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub(crate) fn loc(&self, key: &Key) -> Location {
        Location::new(self, key)
    }

    /// Lists one object to check that the bucket exists and is readable.
    pub(crate) async fn check_bucket(&self) -> Result<()> {
        let req = ListObjectsRequest {
            bucket: self.bucket.clone(),
            max_results: Some(1),
            ..Default::default()
        };
        match self.client.list_objects(&req).await {
            Ok(_) => Ok(()),
            Err(e) if errors::is_not_found(&e) => Err(Error::NotFound(Location::repo(self))),
            Err(e) => Err(errors::map(Location::repo(self), e, Cond::None)),
        }
    }

    /// The object's metadata, or `None` if it does not exist.
    pub(crate) async fn stat(&self, key: &Key) -> Result<Option<Object>> {
        let req = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.as_str().to_string(),
            ..Default::default()
        };
        match self.client.get_object(&req).await {
            Ok(o) => Ok(Some(o)),
            Err(e) if errors::is_not_found(&e) => Ok(None),
            Err(e) => Err(errors::map(self.loc(key), e, Cond::None)),
        }
    }

    /// The body of one generation of an object: `Ok(None)` if that generation is gone.
    async fn body(&self, key: &Key, generation: i64, r: &Range<u64>) -> Result<Option<ByteStream>> {
        let req = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.as_str().to_string(),
            generation: Some(generation),
            ..Default::default()
        };
        let range = GcsRange(Some(r.start), Some(r.end - 1));
        match self.client.download_streamed_object(&req, &range).await {
            Ok(s) => {
                let loc = self.loc(key);
                let s = s.map_err(move |e| errors::map(loc.clone(), e, Cond::None));
                Ok(Some(s.boxed()))
            }
            Err(e) if errors::is_not_found(&e) => Ok(None),
            Err(e) => Err(errors::map(self.loc(key), e, Cond::None)),
        }
    }

    /// The whole content of an object (for small copies), with its metadata.
    pub(crate) async fn read_all(&self, key: &Key) -> Result<(ObjectMeta, Bytes)> {
        let g = self.get_range(key, None).await?;
        let meta = g.meta.clone();
        Ok((meta, g.bytes().await?))
    }

    /// One page of a listing.
    async fn page(
        &self,
        prefix: Option<&Key>,
        delimiter: bool,
        token: Option<String>,
    ) -> Result<(Vec<Object>, Vec<String>, Option<String>)> {
        let req = ListObjectsRequest {
            bucket: self.bucket.clone(),
            prefix: prefix.map(|p| format!("{p}/")),
            delimiter: delimiter.then(|| "/".to_string()),
            max_results: Some(PAGE),
            page_token: token,
            ..Default::default()
        };
        let loc = || match prefix {
            Some(p) => self.loc(p),
            None => Location::repo(self),
        };
        match self.client.list_objects(&req).await {
            Ok(r) => Ok((
                r.items.unwrap_or_default(),
                r.prefixes.unwrap_or_default(),
                r.next_page_token.filter(|t| !t.is_empty()),
            )),
            Err(e) if errors::is_not_found(&e) => Err(Error::NotFound(Location::repo(self))),
            Err(e) => Err(errors::map(loc(), e, Cond::None)),
        }
    }
}

/// Converts an object's metadata; `None` for names that are not valid keys (folder
/// placeholders such as `a/` made by the console), which listings skip.
pub(crate) fn meta_of(o: &Object) -> Option<ObjectMeta> {
    let key = match Key::new(o.name.clone()) {
        Ok(k) => k,
        Err(e) => {
            tracing::debug!("skipping object {:?}: {e}", o.name);
            return None;
        }
    };
    Some(ObjectMeta {
        key,
        size: o.size.max(0) as u64,
        last_modified: o.updated.or(o.time_created).map(SystemTime::from),
        version: Some(Version(o.generation.to_string())),
        digest: o.md5_hash.as_deref().and_then(md5_of),
    })
}

fn md5_of(b64: &str) -> Option<Digest> {
    let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    Some(Digest::Md5(raw.try_into().ok()?))
}

/// Metadata of an object that was just written or read under `key`.
pub(crate) fn meta_for(key: &Key, o: &Object) -> ObjectMeta {
    meta_of(o).unwrap_or_else(|| ObjectMeta {
        key: key.clone(),
        size: o.size.max(0) as u64,
        last_modified: o.updated.map(SystemTime::from),
        version: Some(Version(o.generation.to_string())),
        digest: o.md5_hash.as_deref().and_then(md5_of),
    })
}

impl fmt::Display for GcsRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "gs://{}", self.bucket)
    }
}

impl fmt::Debug for GcsRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GcsRepository")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("stream_threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Repository for GcsRepository {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        let o = self
            .stat(key)
            .await?
            .ok_or_else(|| Error::NotFound(self.loc(key)))?;
        Ok(meta_for(key, &o))
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        // Metadata first (for the size and generation), then that generation's bytes;
        // if it was replaced in between, start again so meta and body always agree.
        for attempt in 0..READ_ATTEMPTS {
            if attempt > 0 {
                // A short random pause lets the competing writers' burst pass.
                let ms = rand::random_range(0..=attempt.min(20));
                tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            }
            let meta = self.head(key).await?;
            let r = clamp_range(|| self.loc(key), range.clone(), meta.size)?;
            if r.is_empty() {
                return Ok(GetResult {
                    meta,
                    range: r,
                    body: stream::empty().boxed(),
                });
            }
            let generation = meta
                .version
                .as_ref()
                .and_then(|v| v.0.parse().ok())
                .unwrap_or_default();
            if let Some(body) = self.body(key, generation, &r).await? {
                return Ok(GetResult {
                    meta,
                    range: r,
                    body,
                });
            }
        }
        Err(Error::Unavailable(
            self.loc(key),
            "the object kept changing while being read".into(),
        ))
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        self.put_multipart(key, data, &mode).await
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        self.put_streamed(key, body, &mode).await
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        let prefix = prefix.cloned();
        // State: the next page token; `None` once the last page was read.
        stream::try_unfold(Some(None), move |state: Option<Option<String>>| {
            let prefix = prefix.clone();
            async move {
                let Some(token) = state else { return Ok(None) };
                let (items, _, next) = self.page(prefix.as_ref(), false, token).await?;
                let metas: Vec<Result<ObjectMeta>> =
                    items.iter().filter_map(meta_of).map(Ok).collect();
                Ok(Some((stream::iter(metas), next.map(Some))))
            }
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        let mut out = Listing::default();
        let mut token = None;
        loop {
            let (items, prefixes, next) = self.page(prefix, true, token).await?;
            out.objects.extend(items.iter().filter_map(meta_of));
            out.prefixes.extend(
                prefixes
                    .iter()
                    .filter_map(|p| Key::new(p.trim_end_matches('/')).ok()),
            );
            match next {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        out.objects.sort_by(|a, b| a.key.cmp(&b.key));
        out.prefixes.sort();
        out.prefixes.dedup();
        Ok(out)
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        let req = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: key.as_str().to_string(),
            ..Default::default()
        };
        match self.client.delete_object(&req).await {
            Err(e) if !errors::is_not_found(&e) => Err(errors::map(self.loc(key), e, Cond::None)),
            _ => Ok(()),
        }
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        if create_only {
            return self.copy_create_only(from, to).await;
        }
        self.server_copy(from, to, None).await
    }
}

impl GcsRepository {
    /// A server-side copy, optionally with `ifGenerationMatch` on the target.
    pub(crate) async fn server_copy(
        &self,
        from: &Key,
        to: &Key,
        if_generation_match: Option<i64>,
    ) -> Result<ObjectMeta> {
        let req = CopyObjectRequest {
            source_bucket: self.bucket.clone(),
            source_object: from.as_str().to_string(),
            destination_bucket: self.bucket.clone(),
            destination_object: to.as_str().to_string(),
            if_generation_match,
            ..Default::default()
        };
        match self.client.copy_object(&req).await {
            Ok(o) => Ok(meta_for(to, &o)),
            Err(e) if errors::is_not_found(&e) => Err(Error::NotFound(self.loc(from))),
            Err(e) => Err(errors::map(self.loc(to), e, Cond::Create)),
        }
    }

    /// Create-only copy. Sources up to the stream threshold are read and written with a
    /// conditional multipart upload (enforced by GCS and by fake-gcs-server alike); larger
    /// ones are a server-side copy with `ifGenerationMatch=0` (enforced by GCS; the
    /// emulator ignores it, so a prior existence check is all it gets).
    async fn copy_create_only(&self, from: &Key, to: &Key) -> Result<ObjectMeta> {
        let src = self.head(from).await?;
        if src.size <= self.threshold as u64 {
            let (_, data) = self.read_all(from).await?;
            return self.put_multipart(to, data, &PutMode::Create).await;
        }
        if self.stat(to).await?.is_some() {
            return Err(Error::AlreadyExists(self.loc(to)));
        }
        self.server_copy(from, to, Some(0)).await
    }
}
