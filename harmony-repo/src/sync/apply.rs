//! Applying a plan: bounded concurrency, retries, compare-and-swap, progress events.

use super::{Action, Plan, StateEntry, SyncOptions};
use crate::{Error, Key, Md5Hasher, ObjectMeta, PutMode, Repository, Result};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Objects up to this size are read into memory and written in one request.
const SMALL: u64 = 8 << 20;

/// A progress event.
#[derive(Debug)]
pub enum Event<'a> {
    /// An action finished; `bytes` were transferred.
    Done(&'a Action, u64),
    /// The destination changed since planning: not overwritten (use force to overwrite).
    Conflict(&'a Action, &'a Error),
    /// The action failed (after retries).
    Failed(&'a Action, &'a Error),
}

/// What a sync did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Objects created.
    pub created: u64,
    /// Objects updated.
    pub updated: u64,
    /// Objects deleted.
    pub deleted: u64,
    /// Objects left alone because they were equal.
    pub unchanged: u64,
    /// Bytes written by creates and updates.
    pub bytes: u64,
    /// Actions refused because the destination changed since planning.
    pub conflicts: u64,
    /// Actions that failed.
    pub failed: u64,
    /// `(key, error)` of every conflict and failure.
    pub errors: Vec<(Key, String)>,
    /// Wall time of the apply.
    pub elapsed: Duration,
}

impl Summary {
    /// True when nothing failed and nothing conflicted.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.conflicts == 0
    }
}

async fn with_retries<T, F, Fut>(retries: u32, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut attempt = 0;
    loop {
        match f().await {
            Err(e) if e.is_retryable() && attempt < retries => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
            }
            r => return r,
        }
    }
}

/// Copies `key` from `src` to `dst` with `mode`; returns the source's and destination's metadata and the digest.
async fn transfer(
    src: &dyn Repository,
    dst: &dyn Repository,
    key: &Key,
    size: u64,
    mode: PutMode,
) -> Result<StateEntry> {
    let g = src.get(key).await?;
    let src_meta = g.meta.clone();
    let (dst_meta, digest) = if size <= SMALL && g.meta.size <= SMALL {
        let data = g.bytes().await?;
        let digest = crate::Digest::md5(&data);
        (dst.put(key, data, mode).await?, digest)
    } else {
        let hasher = std::sync::Arc::new(std::sync::Mutex::new(Md5Hasher::default()));
        let h = hasher.clone();
        let body = g
            .body
            .inspect_ok(move |c| h.lock().unwrap_or_else(|p| p.into_inner()).update(c))
            .boxed();
        let m = dst.put_stream(key, body, mode).await?;
        let digest = hasher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .finish();
        (m, digest)
    };
    state_entry(&src_meta, &dst_meta, digest)
}

fn state_entry(s: &ObjectMeta, d: &ObjectMeta, digest: crate::Digest) -> Result<StateEntry> {
    let missing = || Error::backend(crate::Location::new("sync", &s.key), "no version token");
    Ok(StateEntry {
        size: d.size,
        src: s.version.clone().ok_or_else(missing)?,
        dst: d.version.clone().ok_or_else(missing)?,
        digest,
    })
}

async fn run(
    action: &Action,
    src: &dyn Repository,
    dst: &dyn Repository,
    opts: &SyncOptions,
) -> Result<Option<StateEntry>> {
    let overwrite = |m: PutMode| if opts.force { PutMode::Overwrite } else { m };
    match action {
        Action::Create(m) => transfer(src, dst, &m.key, m.size, overwrite(PutMode::Create))
            .await
            .map(Some),
        Action::Update { src: s, dst: d } => {
            let mode = d
                .version
                .clone()
                .map_or(PutMode::Overwrite, |v| overwrite(PutMode::Update(v)));
            transfer(src, dst, &s.key, s.size, mode).await.map(Some)
        }
        Action::Delete(m) => {
            if !opts.force {
                // No conditional delete in every store: check the version just before.
                match dst.head(&m.key).await {
                    Ok(now) if now.version != m.version => {
                        return Err(Error::Precondition(
                            crate::Location::new(dst, &m.key),
                            "changed since the plan was made".into(),
                        ))
                    }
                    Err(e) if e.is_not_found() => return Ok(None),
                    Err(e) => return Err(e),
                    Ok(_) => {}
                }
            }
            dst.delete(&m.key).await.map(|_| None)
        }
    }
}

/// Applies `plan`: every action is attempted; the summary says what happened.
pub async fn apply(
    plan: &Plan,
    src: &dyn Repository,
    dst: &dyn Repository,
    opts: &SyncOptions,
) -> Summary {
    let start = Instant::now();
    let mut sum = Summary {
        unchanged: plan.unchanged.len() as u64,
        ..Default::default()
    };
    let results: Vec<(&Action, Result<Option<StateEntry>>)> = futures::stream::iter(&plan.actions)
        .map(|a| async move {
            (
                a,
                with_retries(opts.retries, || run(a, src, dst, opts)).await,
            )
        })
        .buffer_unordered(opts.concurrency.max(1))
        .inspect(|(a, r)| {
            if let Some(cb) = &opts.on_event {
                match r {
                    Ok(_) => cb(&Event::Done(a, a.bytes())),
                    Err(e @ (Error::Precondition(..) | Error::AlreadyExists(_))) => {
                        cb(&Event::Conflict(a, e))
                    }
                    Err(e) => cb(&Event::Failed(a, e)),
                }
            }
        })
        .collect()
        .await;
    let mut state = plan.state.lock().unwrap_or_else(|p| p.into_inner());
    let mut keep: HashSet<String> = plan.unchanged.iter().map(|(k, _)| k.to_string()).collect();
    for (a, r) in results {
        match r {
            Ok(entry) => {
                match a {
                    Action::Create(_) => sum.created += 1,
                    Action::Update { .. } => sum.updated += 1,
                    Action::Delete(_) => sum.deleted += 1,
                }
                sum.bytes += a.bytes();
                if let Some(e) = entry {
                    keep.insert(a.key().to_string());
                    state.entries.insert(a.key().to_string(), e);
                }
            }
            Err(e) => {
                if matches!(e, Error::Precondition(..) | Error::AlreadyExists(_)) {
                    sum.conflicts += 1;
                } else {
                    sum.failed += 1;
                }
                sum.errors.push((a.key().clone(), e.to_string()));
            }
        }
    }
    state.entries.retain(|k, _| keep.contains(k));
    if opts.state_path.is_some() {
        if let Err(e) = state.save() {
            tracing::warn!("could not save the sync state: {e}");
        }
    }
    sum.errors.sort();
    sum.elapsed = start.elapsed();
    sum
}
