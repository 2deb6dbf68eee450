//! The sync engine: plan what to create, update and delete between two repositories,
//! then apply the plan with bounded concurrency, retries and compare-and-swap.
//!
//! A key is unchanged when sizes match and either both listings carry equal digests,
//! or the [`SyncState`] record shows that neither side's version moved since the last
//! sync. Otherwise the side(s) without a digest are read and hashed. A sync with
//! nothing to do therefore costs one listing of each side.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use harmony_repo::{sync::{self, SyncOptions}, Key, MemoryRepository, PutMode, Repository};
//! let (src, dst) = (MemoryRepository::new(), MemoryRepository::new());
//! src.put(&Key::new("hosts/a.xml")?, "a".into(), PutMode::Create).await?;
//! let opts = SyncOptions::default();
//! let plan = sync::plan(&src, &dst, &opts).await?;
//! assert_eq!(plan.creates(), 1);
//! let summary = sync::apply(&plan, &src, &dst, &opts).await;
//! assert_eq!((summary.created, summary.failed), (1, 0));
//! assert_eq!(sync::plan(&src, &dst, &opts).await?.changes(), 0);
//! # Ok::<_, harmony_repo::Error>(()) }).unwrap();
//! ```

mod apply;
mod state;

pub use apply::{apply, Event, Summary};
pub use state::{Entry as StateEntry, SyncState};

use crate::{Digest, Key, Md5Hasher, ObjectMeta, Repository, Result};
use futures::{StreamExt, TryStreamExt};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// A callback for progress events.
pub type EventHandler = Arc<dyn Fn(&Event) + Send + Sync>;

/// How a sync runs.
#[derive(Clone)]
pub struct SyncOptions {
    /// Also delete what the source lacks (mirror); otherwise only add and update (copy).
    pub delete: bool,
    /// Overwrite a destination that changed since planning (otherwise: reported conflict).
    pub force: bool,
    /// Objects transferred at once.
    pub concurrency: usize,
    /// Retries of a transient failure, per object.
    pub retries: u32,
    /// The sync-state record file; `None` keeps no record.
    pub state_path: Option<PathBuf>,
    /// Called for every progress event.
    pub on_event: Option<EventHandler>,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            delete: false,
            force: false,
            concurrency: 16,
            retries: 3,
            state_path: None,
            on_event: None,
        }
    }
}

impl std::fmt::Debug for SyncOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncOptions")
            .field("delete", &self.delete)
            .field("force", &self.force)
            .field("concurrency", &self.concurrency)
            .field("state_path", &self.state_path)
            .finish()
    }
}

/// What to do with one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Only in the source: create it in the destination (create-only).
    Create(ObjectMeta),
    /// Different: replace the destination's version `dst` with the source's.
    Update {
        /// The source object.
        src: ObjectMeta,
        /// The destination object as planned (its version is the swap condition).
        dst: ObjectMeta,
    },
    /// Only in the destination, and deleting was asked for.
    Delete(ObjectMeta),
}

impl Action {
    /// The key acted on.
    pub fn key(&self) -> &Key {
        match self {
            Action::Create(m) | Action::Delete(m) | Action::Update { src: m, .. } => &m.key,
        }
    }
    /// A one-word name: create, update, delete.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Create(_) => "create",
            Action::Update { .. } => "update",
            Action::Delete(_) => "delete",
        }
    }
    /// Bytes this action transfers.
    pub fn bytes(&self) -> u64 {
        match self {
            Action::Create(m) | Action::Update { src: m, .. } => m.size,
            Action::Delete(_) => 0,
        }
    }
}

/// The result of planning.
#[derive(Debug, Default)]
pub struct Plan {
    /// The changes, in key order.
    pub actions: Vec<Action>,
    /// Keys equal on both sides (with their size).
    pub unchanged: Vec<(Key, u64)>,
    /// Source keys whose digest was computed while planning (so the record can learn it).
    pub digests: BTreeMap<Key, Digest>,
    state: Arc<Mutex<SyncState>>,
}

impl Plan {
    /// Number of creates.
    pub fn creates(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::Create(_)))
            .count()
    }
    /// Number of updates.
    pub fn updates(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::Update { .. }))
            .count()
    }
    /// Number of deletes.
    pub fn deletes(&self) -> usize {
        self.actions
            .iter()
            .filter(|a| matches!(a, Action::Delete(_)))
            .count()
    }
    /// Number of changes of any kind.
    pub fn changes(&self) -> usize {
        self.actions.len()
    }
}

async fn listing(repo: &dyn Repository) -> Result<BTreeMap<Key, ObjectMeta>> {
    repo.list(None)
        .map_ok(|m| (m.key.clone(), m))
        .try_collect()
        .await
}

/// Reads an object and hashes it (used only when no listing or record tells).
async fn digest_of(repo: &dyn Repository, key: &Key) -> Result<Digest> {
    let mut body = repo.get(key).await?.body;
    let mut h = Md5Hasher::default();
    while let Some(c) = body.try_next().await? {
        h.update(&c);
    }
    Ok(h.finish())
}

enum Verdict {
    Same(Option<(Digest, Digest)>),
    Differ,
}

/// Decides whether `s` and `d` hold the same content, as cheaply as possible.
async fn compare(
    src: &dyn Repository,
    dst: &dyn Repository,
    s: &ObjectMeta,
    d: &ObjectMeta,
    rec: Option<&StateEntry>,
) -> Result<Verdict> {
    if s.size != d.size {
        return Ok(Verdict::Differ);
    }
    if let (Some(a), Some(b)) = (s.digest, d.digest) {
        return Ok(if a == b {
            Verdict::Same(None)
        } else {
            Verdict::Differ
        });
    }
    if let Some(r) = rec {
        // A side is as it was at the last sync if its version is the one recorded, or
        // if its listing's digest is the recorded one (some stores list other tokens
        // than their writes return).
        let src_same = Some(&r.src) == s.version.as_ref() || s.digest == Some(r.digest);
        let dst_same = Some(&r.dst) == d.version.as_ref() || d.digest == Some(r.digest);
        if src_same && dst_same && r.size == s.size {
            return Ok(Verdict::Same(None));
        }
    }
    let a = match s.digest {
        Some(a) => a,
        None => digest_of(src, &s.key).await?,
    };
    let b = match d.digest {
        Some(b) => b,
        None => digest_of(dst, &d.key).await?,
    };
    Ok(if a == b {
        Verdict::Same(Some((a, b)))
    } else {
        Verdict::Differ
    })
}

/// Lists both sides (concurrently) and decides what to do with every key.
pub async fn plan(src: &dyn Repository, dst: &dyn Repository, opts: &SyncOptions) -> Result<Plan> {
    let (s, d) = futures::try_join!(listing(src), listing(dst))?;
    let state = opts
        .state_path
        .as_deref()
        .map(SyncState::load)
        .unwrap_or_default();
    let mut plan = Plan::default();
    let mut both = vec![];
    for (k, sm) in &s {
        match d.get(k) {
            None => plan.actions.push(Action::Create(sm.clone())),
            Some(dm) => both.push((sm, dm)),
        }
    }
    let compared: Vec<(&ObjectMeta, &ObjectMeta, Verdict)> = futures::stream::iter(both)
        .map(|(sm, dm)| {
            let rec = state.entries.get(sm.key.as_str());
            async move { compare(src, dst, sm, dm, rec).await.map(|v| (sm, dm, v)) }
        })
        .buffered(opts.concurrency.max(1))
        .try_collect()
        .await?;
    let mut state = state;
    for (sm, dm, v) in compared {
        match v {
            Verdict::Differ => plan.actions.push(Action::Update {
                src: sm.clone(),
                dst: dm.clone(),
            }),
            Verdict::Same(hashed) => {
                plan.unchanged.push((sm.key.clone(), sm.size));
                if let (Some((a, _)), Some(sv), Some(dv)) = (hashed, &sm.version, &dm.version) {
                    // Learned by reading: remember it so the next plan need not read.
                    let e = StateEntry {
                        size: sm.size,
                        src: sv.clone(),
                        dst: dv.clone(),
                        digest: a,
                    };
                    state.entries.insert(sm.key.to_string(), e);
                    plan.digests.insert(sm.key.clone(), a);
                }
            }
        }
    }
    if opts.delete {
        plan.actions.extend(
            d.into_values()
                .filter(|m| !s.contains_key(&m.key))
                .map(Action::Delete),
        );
    }
    plan.actions.sort_by(|a, b| a.key().cmp(b.key()));
    plan.state = Arc::new(Mutex::new(state));
    Ok(plan)
}
