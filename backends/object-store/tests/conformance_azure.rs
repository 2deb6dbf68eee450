//! The conformance suite against Azure Blob (`HARMONY_TEST_AZURE_*`: Azurite in CI, or a real account).
mod common;

use harmony_repo::Repository;
use harmony_repo_object_store::{ObjectStoreRepository, Tuning};
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    let s = common::azure_settings()?;
    let r = ObjectStoreRepository::azure(&s, Tuning::default()).expect("Azure repository");
    r.check().await.expect("container reachable");
    Some(Arc::new(r))
}

harmony_repo::conformance_suite!(repo);
