//! Streamed puts: small bodies in one (conditional) request, large ones as multipart
//! uploads with bounded memory.
//!
//! - Up to `single_put_limit` bytes: buffered, then one put with the requested mode.
//! - Larger, `Overwrite`: a multipart upload straight to the key (atomic on completion).
//! - Larger, `Create`: a multipart upload to a hidden temporary key
//!   (`<parent>/.harmony-tmp/<random>`), then a create-only copy to the key (S3:
//!   `UploadPartCopy` + `CompleteMultipartUpload` with `If-None-Match: *`; Azure: Copy
//!   Blob with `If-None-Match: *`), then the temporary key is deleted.
//! - Larger, `Update`: buffered up to `update_buffer_limit` and sent as one `If-Match`
//!   put; beyond that the put is refused, as `object_store` offers no conditional
//!   multipart completion to build a real compare-and-swap from.
//!
//! A failed or dropped upload is aborted, and a temporary key is deleted.

use crate::repo::{ObjectStoreRepository, RESERVED_SEGMENT};
use crate::version;
use bytes::Bytes;
use futures::stream::TryStreamExt;
use harmony_repo::{ByteStream, Error, Key, ObjectMeta, PutMode, Result};
use object_store::path::Path;
use object_store::{
    Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutPayload, PutResult,
    WriteMultipart,
};
use std::sync::Arc;

/// Aborts an unfinished multipart upload when dropped (error, panic or cancellation).
struct AbortOnDrop(Option<WriteMultipart>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let (Some(w), Ok(rt)) = (self.0.take(), tokio::runtime::Handle::try_current()) {
            rt.spawn(async move {
                if let Err(e) = w.abort().await {
                    tracing::warn!("could not abort a multipart upload: {e}");
                }
            });
        }
    }
}

/// Deletes a temporary key when dropped.
struct DeleteOnDrop(Arc<dyn ObjectStore>, Option<Path>);

impl Drop for DeleteOnDrop {
    fn drop(&mut self) {
        if let (Some(p), Ok(rt)) = (self.1.take(), tokio::runtime::Handle::try_current()) {
            let store = self.0.clone();
            rt.spawn(async move {
                if let Err(e) = store.delete(&p).await {
                    tracing::warn!("could not delete the temporary object '{p}': {e}");
                }
            });
        }
    }
}

pub(crate) async fn put_stream(
    repo: &ObjectStoreRepository,
    key: &Key,
    mut body: ByteStream,
    mode: PutMode,
) -> Result<ObjectMeta> {
    let path = repo.writable(key)?;
    let t = repo.tuning();
    let limit = match mode {
        PutMode::Update(_) => t.update_buffer_limit.max(t.single_put_limit),
        _ => t.single_put_limit,
    };
    let mut head: Vec<Bytes> = Vec::new();
    let mut size = 0usize;
    while size <= limit {
        match body.try_next().await? {
            Some(chunk) => {
                size += chunk.len();
                head.push(chunk);
            }
            None => {
                let payload: PutPayload = head.into_iter().collect();
                return repo.put_payload(key, &path, payload, mode).await;
            }
        }
    }
    let permit = repo.permit().await?;
    match mode {
        PutMode::Update(_) => Err(Error::backend(
            repo.loc(key),
            format!(
                "a compare-and-swap (PutMode::Update) of more than {limit} bytes is not supported \
                 on object stores: raise Tuning::update_buffer_limit, or write with Create or Overwrite"
            ),
        )),
        PutMode::Overwrite => {
            let attrs = version::write_attributes(repo.flavor);
            let wid = version::write_id(&attrs);
            let (r, size) = multipart(repo, key, &path, attrs, head, body).await?;
            Ok(version::put_meta(repo.flavor, key.clone(), size, &r, wid))
        }
        PutMode::Create => {
            let tmp = temp_path(key)?;
            let attrs = version::write_attributes(repo.flavor);
            let store = repo.store().clone();
            multipart(repo, key, &tmp, attrs, head, body).await?;
            let _cleanup = DeleteOnDrop(store.clone(), Some(tmp.clone()));
            store
                .copy_if_not_exists(&tmp, &path)
                .await
                .map_err(|e| repo.put_err(e, key, &PutMode::Create))?;
            drop(permit);
            repo.head(key).await
        }
    }
}

use harmony_repo::Repository as _;

fn temp_path(key: &Key) -> Result<Path> {
    let name = format!("{RESERVED_SEGMENT}/{:016x}", rand::random::<u64>());
    let raw = match key.parent() {
        Some(p) => format!("{p}/{name}"),
        None => name,
    };
    Path::parse(&raw).map_err(|e| Error::invalid_path(raw, e.to_string()))
}

/// Uploads `head` then the rest of `body` to `path` in parts; aborts on any failure.
async fn multipart(
    repo: &ObjectStoreRepository,
    key: &Key,
    path: &Path,
    attributes: Attributes,
    head: Vec<Bytes>,
    mut body: ByteStream,
) -> Result<(PutResult, u64)> {
    let t = repo.tuning();
    let opts = PutMultipartOptions {
        attributes,
        ..Default::default()
    };
    let upload = repo
        .store()
        .put_multipart_opts(path, opts)
        .await
        .map_err(|e| repo.err(e, Some(key)))?;
    let mut guard = AbortOnDrop(Some(WriteMultipart::new_with_chunk_size(
        upload,
        t.part_size,
    )));
    let in_flight = t.parts_in_flight.max(1);
    let mut pending = head.into_iter();
    let mut size = 0u64;
    loop {
        let chunk = match pending.next() {
            Some(c) => c,
            // A stream error drops the guard: the upload is aborted.
            None => match body.try_next().await? {
                Some(c) => c,
                None => break,
            },
        };
        let w = guard
            .0
            .as_mut()
            .ok_or_else(|| Error::backend(repo.loc(key), "upload gone"))?;
        w.wait_for_capacity(in_flight)
            .await
            .map_err(|e| repo.err(e, Some(key)))?;
        size += chunk.len() as u64;
        w.put(chunk);
    }
    let w = guard
        .0
        .take()
        .ok_or_else(|| Error::backend(repo.loc(key), "upload gone"))?;
    // `finish` aborts the upload itself when a part or the completion fails.
    let r = w.finish().await.map_err(|e| repo.err(e, Some(key)))?;
    Ok((r, size))
}
