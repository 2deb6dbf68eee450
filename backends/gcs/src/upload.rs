//! Writes: multipart uploads (small, conditional everywhere) and resumable uploads
//! (large, streamed in chunks with bounded memory).

use crate::errors::{self, Cond};
use crate::repo::{meta_for, GcsRepository};
use bytes::{Bytes, BytesMut};
use futures::TryStreamExt;
use gcloud_storage::http::objects::upload::{UploadObjectRequest, UploadType};
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::resumable_upload_client::{
    ChunkSize, ResumableUploadClient, UploadStatus,
};
use harmony_repo::{ByteStream, Error, Key, ObjectMeta, PutMode, Result};

/// The generation precondition for a put mode, and what a 412 then means.
pub(crate) fn precondition(
    repo: &GcsRepository,
    key: &Key,
    mode: &PutMode,
) -> Result<(Option<i64>, Cond)> {
    match mode {
        PutMode::Overwrite => Ok((None, Cond::None)),
        PutMode::Create => Ok((Some(0), Cond::Create)),
        PutMode::Update(v) => match v.0.parse::<i64>() {
            Ok(g) if g > 0 => Ok((Some(g), Cond::Update)),
            _ => Err(Error::Precondition(
                repo.loc(key),
                format!("'{v}' is not a GCS generation"),
            )),
        },
    }
}

fn metadata(key: &Key) -> UploadType {
    UploadType::Multipart(Box::new(Object {
        name: key.as_str().to_string(),
        content_type: Some("application/octet-stream".into()),
        ..Default::default()
    }))
}

impl GcsRepository {
    fn upload_request(&self, if_generation_match: Option<i64>) -> UploadObjectRequest {
        UploadObjectRequest {
            bucket: self.bucket.clone(),
            if_generation_match,
            ..Default::default()
        }
    }

    /// One multipart upload (metadata and data in one request): atomic, and its
    /// generation precondition is honoured by GCS and fake-gcs-server alike.
    pub(crate) async fn put_multipart(
        &self,
        key: &Key,
        data: Bytes,
        mode: &PutMode,
    ) -> Result<ObjectMeta> {
        let (cond, kind) = precondition(self, key, mode)?;
        let req = self.upload_request(cond);
        match self.client.upload_object(&req, data, &metadata(key)).await {
            Ok(o) => Ok(meta_for(key, &o)),
            Err(e) if kind == Cond::Update && errors::is_not_found(&e) => Err(Error::Precondition(
                self.loc(key),
                "no object (expected a version)".into(),
            )),
            Err(e) => Err(errors::map(self.loc(key), e, kind)),
        }
    }

    /// Streams `body`: up to the threshold it is buffered and sent as one multipart
    /// upload; past it, a resumable upload sends chunks of the threshold's size, the last
    /// one (which creates the object) only once the stream has ended without error.
    pub(crate) async fn put_streamed(
        &self,
        key: &Key,
        mut body: ByteStream,
        mode: &PutMode,
    ) -> Result<ObjectMeta> {
        let chunk = self.threshold;
        let mut pending = BytesMut::new();
        let mut session: Option<Resumable> = None;
        let result = async {
            while let Some(data) = body.try_next().await? {
                pending.extend_from_slice(&data);
                while pending.len() > chunk {
                    let part = pending.split_to(chunk).freeze();
                    if session.is_none() {
                        session = Some(self.start_resumable(key, mode).await?);
                    }
                    if let Some(s) = session.as_mut() {
                        s.send(self, key, part, None).await?;
                    }
                }
            }
            match session.as_mut() {
                None => {
                    self.put_multipart(key, pending.split().freeze(), mode)
                        .await
                }
                Some(s) => {
                    let total = s.offset + pending.len() as u64;
                    s.send(self, key, pending.split().freeze(), Some(total))
                        .await?
                        .ok_or_else(|| Error::backend(self.loc(key), "the upload did not complete"))
                }
            }
        }
        .await;
        if let (Err(_), Some(s)) = (&result, session) {
            // Nothing was created: an unfinished resumable upload is not an object.
            // Cancelling frees the session; a failure here changes nothing visible.
            let _ = s.client.cancel().await;
        }
        result
    }

    /// Opens a resumable session carrying the mode's precondition. GCS enforces it (at
    /// the start and when the object is created); fake-gcs-server ignores it, so the
    /// current generation is also checked first (not atomic: see the crate docs).
    async fn start_resumable(&self, key: &Key, mode: &PutMode) -> Result<Resumable> {
        let (cond, kind) = precondition(self, key, mode)?;
        if let Some(want) = cond {
            let current = self.stat(key).await?.map(|o| o.generation);
            match (kind, current) {
                (Cond::Create, Some(_)) => return Err(Error::AlreadyExists(self.loc(key))),
                (Cond::Update, c) if c != Some(want) => {
                    return Err(Error::Precondition(
                        self.loc(key),
                        format!("version is not {want}"),
                    ))
                }
                _ => {}
            }
        }
        let client = self
            .client
            .prepare_resumable_upload(&self.upload_request(cond), &metadata(key))
            .await
            .map_err(|e| errors::map(self.loc(key), e, kind))?;
        Ok(Resumable {
            client,
            offset: 0,
            kind,
        })
    }
}

/// A resumable upload session and how many bytes the server has persisted.
struct Resumable {
    client: ResumableUploadClient,
    offset: u64,
    kind: Cond,
}

impl Resumable {
    /// Sends `data` (which starts at `self.offset`); `total` marks the final chunk.
    /// Re-sends whatever the server reports it did not persist.
    async fn send(
        &mut self,
        repo: &GcsRepository,
        key: &Key,
        data: Bytes,
        total: Option<u64>,
    ) -> Result<Option<ObjectMeta>> {
        let start = self.offset;
        let end = start + data.len() as u64;
        loop {
            let from = (self.offset - start) as usize;
            let part = data.slice(from..);
            let size = if part.is_empty() {
                ChunkSize::new(self.offset, self.offset, total)
            } else {
                ChunkSize::new(self.offset, end - 1, total)
            };
            let status = self
                .client
                .upload_multiple_chunk(part, &size)
                .await
                .map_err(|e| match (self.kind, errors::is_not_found(&e)) {
                    (Cond::Update, true) => {
                        Error::Precondition(repo.loc(key), "no object (expected a version)".into())
                    }
                    _ => errors::map(repo.loc(key), e, self.kind),
                })?;
            match status {
                UploadStatus::Ok(o) => return Ok(Some(meta_for(key, &o))),
                UploadStatus::ResumeIncomplete(r) => self.offset = r.last_byte + 1,
                UploadStatus::NotStarted => self.offset = 0,
            }
            if self.offset < start {
                return Err(Error::backend(
                    repo.loc(key),
                    "the server lost bytes of a resumable upload",
                ));
            }
            if self.offset >= end && total.is_none() {
                return Ok(None);
            }
        }
    }
}
