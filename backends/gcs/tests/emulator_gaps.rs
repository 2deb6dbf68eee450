//! Where fake-gcs-server differs from GCS, asserted as the emulator behaves, and what the
//! backend does about it. If one of the `emulator_gap_*` tests starts failing, the
//! emulator has closed that gap: update the README and the crate docs.
mod common;

use bytes::Bytes;
use futures::stream::{self, StreamExt};
use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::objects::copy::CopyObjectRequest;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::upload::{Media, UploadObjectRequest, UploadType};
use gcloud_storage::http::objects::Object;
use gcloud_storage::http::Error as GcsError;
use harmony_repo::{ByteStream, Digest, Error, Key, PutMode, Repository};
use harmony_repo_gcs::{GcsAuth, GcsBuilder, GcsRepository};

fn raw_client(endpoint: &str) -> Client {
    Client::new(
        ClientConfig {
            storage_endpoint: endpoint.to_string(),
            ..Default::default()
        }
        .anonymous(),
    )
}

fn req(bucket: &str, if_generation_match: Option<i64>) -> UploadObjectRequest {
    UploadObjectRequest {
        bucket: bucket.to_string(),
        if_generation_match,
        ..Default::default()
    }
}

fn multipart(name: &str) -> UploadType {
    UploadType::Multipart(Box::new(Object {
        name: name.to_string(),
        ..Default::default()
    }))
}

fn status(r: Result<impl std::fmt::Debug, GcsError>) -> u16 {
    match r {
        Err(GcsError::Response(e)) => e.code,
        other => panic!("expected an error response, got {other:?}"),
    }
}

async fn read(c: &Client, bucket: &str, name: &str) -> Vec<u8> {
    let g = gcloud_storage::http::objects::get::GetObjectRequest {
        bucket: bucket.into(),
        object: name.into(),
        ..Default::default()
    };
    c.download_object(&g, &Default::default())
        .await
        .expect("read")
}

/// The basis of every conditional write here: multipart uploads honour generations.
#[tokio::test]
async fn emulator_honours_multipart_preconditions() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let c = raw_client(&endpoint);
    let name = common::unique("multipart");
    let up = |data: &'static str, g| {
        let (c, bucket, name) = (c.clone(), bucket.clone(), name.clone());
        async move {
            c.upload_object(&req(&bucket, g), data, &multipart(&name))
                .await
        }
    };
    let first = up("one", Some(0)).await.expect("create");
    assert_eq!(status(up("two", Some(0)).await), 412, "second create");
    let second = up("two", Some(first.generation)).await.expect("update");
    assert_eq!(
        status(up("three", Some(first.generation)).await),
        412,
        "stale"
    );
    assert_eq!(read(&c, &bucket, &name).await, b"two");
    assert_ne!(first.generation, second.generation);
}

/// GAP: a resumable upload with `ifGenerationMatch=0` replaces an existing object on the
/// emulator (GCS answers 412). The backend's large streamed puts therefore also check the
/// generation just before uploading; only that check protects them on the emulator.
#[tokio::test]
async fn emulator_gap_resumable_upload_ignores_preconditions() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let c = raw_client(&endpoint);
    let name = common::unique("resumable");
    c.upload_object(&req(&bucket, Some(0)), "old", &multipart(&name))
        .await
        .expect("create");
    let session = c
        .prepare_resumable_upload(&req(&bucket, Some(0)), &multipart(&name))
        .await
        .expect("the emulator opens the session (GCS: 412)");
    session
        .upload_single_chunk("new", 3)
        .await
        .expect("the emulator completes it (GCS: 412)");
    assert_eq!(
        read(&c, &bucket, &name).await,
        b"new",
        "create-only was ignored"
    );
}

/// GAP: simple (`uploadType=media`) uploads, copies and deletes ignore preconditions on the
/// emulator. The backend sends conditional writes only as multipart uploads, and does
/// create-only copies of small objects as a read plus a conditional multipart upload.
#[tokio::test]
async fn emulator_gap_simple_upload_copy_and_delete_ignore_preconditions() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let c = raw_client(&endpoint);
    let (a, b) = (common::unique("gap-a"), common::unique("gap-b"));
    let oa = c
        .upload_object(&req(&bucket, Some(0)), "A", &multipart(&a))
        .await
        .unwrap();
    c.upload_object(&req(&bucket, Some(0)), "B", &multipart(&b))
        .await
        .unwrap();

    let simple = UploadType::Simple(Media::new(b.clone()));
    c.upload_object(&req(&bucket, Some(0)), "S", &simple)
        .await
        .expect("simple upload ignores ifGenerationMatch=0 (GCS: 412)");
    assert_eq!(read(&c, &bucket, &b).await, b"S");

    let copy = CopyObjectRequest {
        source_bucket: bucket.clone(),
        source_object: a.clone(),
        destination_bucket: bucket.clone(),
        destination_object: b.clone(),
        if_generation_match: Some(0),
        ..Default::default()
    };
    c.copy_object(&copy)
        .await
        .expect("copy ignores ifGenerationMatch=0 (GCS: 412)");
    assert_eq!(read(&c, &bucket, &b).await, b"A");

    let del = DeleteObjectRequest {
        bucket: bucket.clone(),
        object: a.clone(),
        if_generation_match: Some(oa.generation + 1),
        ..Default::default()
    };
    c.delete_object(&del)
        .await
        .expect("delete ignores a stale generation (GCS: 412)");
    let del_b = DeleteObjectRequest {
        bucket: bucket.clone(),
        object: b.clone(),
        ..Default::default()
    };
    c.delete_object(&del_b).await.unwrap();
}

/// A backend whose resumable path starts above 256 KiB, so small tests exercise it.
async fn small_threshold_repo(endpoint: &str, bucket: &str) -> GcsRepository {
    GcsBuilder::new(bucket)
        .endpoint(endpoint)
        .auth(GcsAuth::Anonymous)
        .stream_threshold(256 << 10)
        .build()
        .await
        .expect("open")
}

fn chunks(n: usize, byte: u8) -> ByteStream {
    stream::iter(0..n)
        .map(move |_| Ok(Bytes::from(vec![byte; 100_000])))
        .boxed()
}

/// Above the threshold, conditional streamed puts and create-only copies go through the
/// resumable/server-side path; the generation check before it still gives the right
/// errors on the emulator (the write itself carries the precondition for GCS).
#[tokio::test]
async fn large_conditional_writes_are_checked_on_the_emulator() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let repo = small_threshold_repo(&endpoint, &bucket).await;
    let p = common::unique("large");
    let key = Key::new(format!("{p}/big.bin")).unwrap();
    let m1 = repo
        .put_stream(&key, chunks(10, 1), PutMode::Create)
        .await
        .expect("multi-chunk create");
    assert_eq!(m1.size, 1_000_000);
    assert_eq!(
        m1.digest,
        Some(Digest::md5(&vec![1u8; 1_000_000])),
        "md5 digest"
    );
    let e = repo.put_stream(&key, chunks(10, 2), PutMode::Create).await;
    assert!(matches!(e, Err(Error::AlreadyExists(_))), "{e:?}");
    let v1 = m1.version.clone().unwrap();
    let m2 = repo
        .put_stream(&key, chunks(10, 3), PutMode::Update(v1.clone()))
        .await
        .expect("update on the current version");
    let e = repo
        .put_stream(&key, chunks(10, 4), PutMode::Update(v1))
        .await;
    assert!(matches!(e, Err(Error::Precondition(..))), "{e:?}");
    let missing = Key::new(format!("{p}/missing.bin")).unwrap();
    let e = repo
        .put_stream(
            &missing,
            chunks(10, 5),
            PutMode::Update(m2.version.clone().unwrap()),
        )
        .await;
    assert!(matches!(e, Err(Error::Precondition(..))), "{e:?}");
    let data = repo.get(&key).await.unwrap().bytes().await.unwrap();
    assert!(data.len() == 1_000_000 && data.iter().all(|b| *b == 3));

    let copy = Key::new(format!("{p}/copy.bin")).unwrap();
    repo.copy(&key, &copy, true)
        .await
        .expect("large create-only copy to a new key");
    let e = repo.copy(&key, &copy, true).await;
    assert!(matches!(e, Err(Error::AlreadyExists(_))), "{e:?}");
    repo.delete_prefix(&Key::new(p).unwrap()).await.unwrap();
}

/// An interrupted multi-chunk (resumable) put creates nothing and keeps the old object.
#[tokio::test]
async fn interrupted_resumable_put_leaves_nothing() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let repo = small_threshold_repo(&endpoint, &bucket).await;
    let p = common::unique("interrupted");
    let failing = || {
        stream::iter(0..12)
            .map(|i| {
                if i < 11 {
                    Ok(Bytes::from(vec![b'x'; 100_000]))
                } else {
                    Err(Error::invalid_path("x", "client gave up"))
                }
            })
            .boxed()
    };
    let new = Key::new(format!("{p}/new.bin")).unwrap();
    assert!(repo
        .put_stream(&new, failing(), PutMode::Overwrite)
        .await
        .is_err());
    assert!(repo.head(&new).await.unwrap_err().is_not_found());
    let old = Key::new(format!("{p}/old.bin")).unwrap();
    repo.put(&old, "old".into(), PutMode::Overwrite)
        .await
        .unwrap();
    assert!(repo
        .put_stream(&old, failing(), PutMode::Overwrite)
        .await
        .is_err());
    assert_eq!(repo.get(&old).await.unwrap().bytes().await.unwrap(), "old");
    let listed: Vec<_> = futures::TryStreamExt::try_collect::<Vec<_>>(
        repo.list(Some(&Key::new(p.clone()).unwrap())),
    )
    .await
    .unwrap();
    assert_eq!(listed.len(), 1, "no debris: {listed:?}");
    repo.delete_prefix(&Key::new(p).unwrap()).await.unwrap();
}
