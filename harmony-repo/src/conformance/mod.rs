//! The conformance suite: one set of behaviours every backend must show.
//!
//! A backend's test file calls [`conformance_suite!`](crate::conformance_suite) with an
//! async factory that returns the repository under test, or `None` when its server is
//! not configured (see [`server_env`]). Each case runs in a fresh random prefix.
//!
//! ```ignore
//! async fn repo() -> Option<Arc<dyn Repository>> { Some(Arc::new(MemoryRepository::new())) }
//! harmony_repo::conformance_suite!(repo);
//! ```

pub mod cases;
mod concurrency;
mod layouts;

use crate::{Key, Prefixed, Repository};
use std::sync::Arc;

/// Set to `1` (CI does) to turn every "server not configured" skip into a failure.
pub const REQUIRE_SERVERS: &str = "HARMONY_REQUIRE_SERVERS";

/// Reads the variables a backend's tests need. When one is missing, prints a loud
/// skip message and returns `None`, or panics if `HARMONY_REQUIRE_SERVERS=1`.
pub fn server_env<const N: usize>(backend: &str, vars: [&str; N]) -> Option<[String; N]> {
    let values = vars.map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()));
    let missing: Vec<&str> = vars
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(k, _)| *k)
        .collect();
    if missing.is_empty() {
        return Some(values.map(|v| v.unwrap_or_default()));
    }
    let msg = format!(
        "{backend} server not configured (missing {}): run ./scripts/test.sh, which starts one",
        missing.join(", ")
    );
    if std::env::var(REQUIRE_SERVERS).as_deref() == Ok("1") {
        panic!("{msg}; {REQUIRE_SERVERS}=1 makes this a failure");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
    None
}

/// A view of `repo` below a new random prefix, so runs and cases never collide.
pub fn fresh(repo: Arc<dyn Repository>, case: &str) -> Arc<dyn Repository> {
    let id: u64 = rand::random();
    let prefix = Key::new(format!("conformance/{case}-{id:016x}")).expect("valid prefix");
    Arc::new(Prefixed::new(repo, prefix))
}

/// Generates one `#[tokio::test]` per conformance case, each calling `$factory().await`
/// (an `Option<Arc<dyn Repository>>`; `None` skips) and running in a fresh prefix.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance_suite!(@cases $factory;
            round_trip, streamed_64mib, ranges, head_metadata, overwrite, missing_keys,
            list_recursive, list_delimited, list_many, odd_keys, delete, delete_prefix,
            copy, rename, create_only, replace_if_version, concurrent_cas, racing_creates,
            reader_during_write, interrupted_put, layouts, invalid_paths);
    };
    (@cases $factory:path; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                if let Some(repo) = $factory().await {
                    let repo = $crate::conformance::fresh(repo, stringify!($case));
                    $crate::conformance::cases::$case(repo).await;
                }
            }
        )*
    };
}
