//! The whole conformance suite against fake-gcs-server (`scripts/servers/fake-gcs.sh`).
use harmony_repo::Repository;
use harmony_repo_gcs::{GcsAuth, GcsBuilder};
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    let [endpoint, bucket] = harmony_repo::conformance::server_env(
        "GCS",
        ["HARMONY_TEST_GCS_ENDPOINT", "HARMONY_TEST_GCS_BUCKET"],
    )?;
    // HARMONY_TEST_GCS_ADC=1: a real bucket with application-default credentials
    // (endpoint https://storage.googleapis.com); otherwise the emulator, anonymously.
    let auth = match std::env::var("HARMONY_TEST_GCS_ADC").as_deref() {
        Ok("1") => GcsAuth::ApplicationDefault,
        _ => GcsAuth::Anonymous,
    };
    let repo = GcsBuilder::new(bucket)
        .endpoint(endpoint)
        .auth(auth)
        .build()
        .await
        .expect("open the emulator's bucket");
    Some(Arc::new(repo))
}

harmony_repo::conformance_suite!(repo);
