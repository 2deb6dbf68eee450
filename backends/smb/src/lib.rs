//! # harmony-repo-smb
//!
//! The SMB backend of `harmony-repo`: a [`Repository`] on an SMB share, through
//! Samba's libsmbclient (the `pavao` bindings), with what plain SMB lacks:
//!
//! - **Atomic puts**: data goes to a temporary file that is renamed into place.
//! - **Create-only and compare-and-swap** between processes and machines: each key
//!   has a lock file taken with an exclusive (create-only) open on the server; the
//!   version check and the rename happen under it.
//! - **Version tokens** that change on every write: a random id kept in a small
//!   metadata file per key (with size, mtime and MD5), not the 1 s mtime.
//! - **Readers never see a missing or partial object**: libsmbclient replaces a file
//!   by deleting and renaming, so a reader that finds the key missing (or its
//!   metadata gone) while a writer holds the key's lock waits and retries; an open
//!   reader blocks the replacement, and the writer retries until it closes.
//! - **Crashed writers**: a lock whose content does not change for
//!   [`SmbConfig::lock_stale_after`] is broken.
//!
//! Keys map to names as described in [`names`]; the top-level folder `.harmony-smb`
//! holds locks, temporary files and metadata and never shows in listings.
//!
//! ```no_run
//! # async fn demo() -> harmony_repo::Result<()> {
//! use harmony_repo::{Key, PutMode, Repository};
//! use harmony_repo_smb::{SmbConfig, SmbRepository};
//! let repo = SmbRepository::connect(
//!     SmbConfig::new("files.example.com", "harmony").user("svc").password("pw"),
//! ).await?;
//! repo.put(&Key::new("hosts/acme.xml")?, "<host/>".into(), PutMode::Create).await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod config;
mod list;
pub mod names;
mod ops;
mod repo;
mod transfer;

pub use config::SmbConfig;
pub use repo::SmbRepository;

use harmony_repo::settings::RepoSettings;
use harmony_repo::Repository;
use std::sync::Arc;

/// Opens the SMB share named by `settings` (`sharePath` or an `smb://` URL), at the
/// root of the share: `settings.root_path` is applied by the caller (`Prefixed`).
/// Checks the credentials: a refused login is `PermissionDenied`.
pub async fn open(settings: &RepoSettings) -> harmony_repo::Result<Arc<dyn Repository>> {
    let repo = SmbRepository::connect(SmbConfig::from_settings(settings)?).await?;
    Ok(Arc::new(repo))
}
