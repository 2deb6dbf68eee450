//! The whole conformance suite on the repository named by `HARMONY_TEST_REPO`: a URL
//! (`s3://bucket/prefix?endpoint=...`), a folder, or the vendor's settings file. It goes
//! through `harmony_repo_any::open`, settings parsing and `rootPath` included, so it
//! checks a real deployment's configuration end to end:
//!
//! ```sh
//! HARMONY_TEST_REPO=/var/secrets/cleo-config-repo cargo test -p harmony-repo-behavior
//! ```
use harmony_repo::Repository;
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    let [spec] = harmony_repo::conformance::server_env("HARMONY_TEST_REPO", ["HARMONY_TEST_REPO"])?;
    Some(
        harmony_repo_any::open_location(&spec)
            .await
            .unwrap_or_else(|e| panic!("open {spec}: {e}")),
    )
}

harmony_repo::conformance_suite!(repo);
