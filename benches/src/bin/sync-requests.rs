//! Plans `config-sync --repo REPO --system SYSTEM push FROM` exactly as the tool does
//! (same endpoints, same sync-state record), with a request counter under both sides,
//! and prints what the plan cost as one JSON line. It also times the physical floor of
//! a no-op sync: one bare listing of each side, concurrently.
//!
//! ```text
//! sync-requests REPO SYSTEM FROM [--no-state]
//! {"changes":0,"src_listings":1,"src_per_object":0,"dst_listings":12,"dst_per_object":0,
//!  "plan_seconds":0.41,"list_seconds":0.38,"objects":5000}
//! ```
//!
//! The counter sits under the configuration-tree view, so every listing call that
//! reaches the store is counted (one call may fetch several pages).

use futures::TryStreamExt;
use harmony_repo::layout::System;
use harmony_repo::sync::{self, SyncOptions, SyncState};
use harmony_repo::{Counting, Name, Repository};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

async fn count(
    repo: &dyn Repository,
    prefix: Option<&harmony_repo::Key>,
) -> harmony_repo::Result<u64> {
    repo.list(prefix)
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
}

async fn run(repo: &str, system: &str, from: &str, state: bool) -> harmony_repo::Result<String> {
    let src = Counting::new(harmony_repo_any::open_location(from).await?);
    let root = Counting::new(harmony_repo_any::open_location(repo).await?);
    let name = Name::new(system)?;
    let dst = System::new(Arc::new(root.clone()), name.clone()).config();
    let opts = SyncOptions {
        state_path: state.then(|| SyncState::default_path(&src.to_string(), &dst.to_string())),
        ..Default::default()
    };
    let t = Instant::now();
    let plan = sync::plan(&src, &dst, &opts).await?;
    let plan_seconds = t.elapsed().as_secs_f64();
    let (s, d) = (src.counts(), root.counts());
    let line = format!(
        "{{\"changes\":{},\"src_listings\":{},\"src_per_object\":{},\"dst_listings\":{},\"dst_per_object\":{},\"plan_seconds\":{plan_seconds:.4}",
        plan.changes(),
        s.listings(),
        s.per_object(),
        d.listings(),
        d.per_object()
    );
    // The floor: one plain listing per side, nothing else.
    let t = Instant::now();
    let prefix = name.to_key();
    let (n, _) = futures::try_join!(count(&src, None), count(&root, Some(&prefix)))?;
    let list_seconds = t.elapsed().as_secs_f64();
    Ok(format!(
        "{line},\"list_seconds\":{list_seconds:.4},\"objects\":{n}}}"
    ))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (repo, system, from, state) = match &args[..] {
        [r, s, f] => (r, s, f, true),
        [r, s, f, flag] if flag == "--no-state" => (r, s, f, false),
        _ => {
            eprintln!("usage: sync-requests REPO SYSTEM FROM [--no-state]");
            return ExitCode::from(2);
        }
    };
    match run(repo, system, from, state).await {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sync-requests: {e}");
            ExitCode::FAILURE
        }
    }
}
