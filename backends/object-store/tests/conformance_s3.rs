//! The conformance suite against an S3 server (`HARMONY_TEST_S3_*`: moto in CI, or MinIO / AWS).
mod common;

use harmony_repo::Repository;
use harmony_repo_object_store::{ObjectStoreRepository, Tuning};
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    let s = common::s3_settings()?;
    let r = ObjectStoreRepository::s3(&s, Tuning::default()).expect("S3 repository");
    r.check().await.expect("bucket reachable");
    Some(Arc::new(r))
}

harmony_repo::conformance_suite!(repo);
