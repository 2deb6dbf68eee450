//! # harmony-repo-gcs
//!
//! Google Cloud Storage (the vendor's `GCPBucket` repository type) as a
//! [`harmony_repo::Repository`], on the `gcloud-storage` crate (the JSON API for every
//! operation).
//!
//! - Version token: the object generation. Create-only puts send `ifGenerationMatch=0`,
//!   replace-if-version puts `ifGenerationMatch=<generation>`.
//! - Puts from memory, and streamed puts up to the stream threshold (8 MiB by default),
//!   are one multipart upload: atomic, and conditional on GCS and fake-gcs-server alike.
//! - Larger streamed puts use a resumable upload in chunks of the threshold's size
//!   (bounded memory); the object appears only when the last chunk is sent, so an
//!   interrupted put leaves nothing. Their preconditions are atomic on GCS; fake-gcs-server
//!   ignores them, so they are also checked just before the upload starts (a race remains
//!   there, on the emulator only).
//! - Create-only copies of sources up to the threshold are a read and a conditional
//!   multipart upload; larger ones a server-side copy with `ifGenerationMatch=0` (atomic on
//!   GCS; on the emulator an existence check only).
//! - Digests come from `md5Hash`. Listings page by 1,000.
//!
//! ```no_run
//! # async fn f() -> harmony_repo::Result<()> {
//! use harmony_repo::settings::RepoSettings;
//! let settings = RepoSettings::from_url("gs://my-bucket/shared-config")?;
//! let repo = harmony_repo_gcs::open(&settings).await?; // the bucket's root
//! println!("{repo}"); // gs://my-bucket
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod config;
mod errors;
mod repo;
mod upload;

pub use config::{GcsAuth, GcsBuilder, DEFAULT_STREAM_THRESHOLD, KEY_SETTING};
pub use repo::GcsRepository;

use harmony_repo::settings::{Connector, RepoSettings};
use harmony_repo::{Error, Repository, Result};
use std::sync::Arc;

/// Opens the bucket named by `settings`, at its root (`settings.root_path` is left to
/// the caller, e.g. `harmony_repo::Prefixed`).
///
/// Credentials: `googleAccountKey` if given; else anonymous when an `endpoint` is set
/// (an emulator); else application-default credentials.
pub async fn open(settings: &RepoSettings) -> Result<Arc<dyn Repository>> {
    let Connector::Gcs(gcs) = &settings.connector else {
        return Err(Error::settings(
            &settings.source,
            "type",
            format!(
                "expected GCPBucket, found {}",
                settings.connector.type_name()
            ),
        ));
    };
    let repo = GcsBuilder::from_settings(gcs, &settings.source)?
        .build()
        .await?;
    Ok(Arc::new(repo))
}
