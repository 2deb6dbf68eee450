//! # harmony-repo-object-store
//!
//! harmony-repo backends for Amazon S3 (and S3-compatible stores such as MinIO) and
//! Azure Blob Storage: one adapter, [`ObjectStoreRepository`], from any
//! [`object_store::ObjectStore`] to [`harmony_repo::Repository`].
//!
//! - Put modes map to `object_store`'s: `Create` sends `If-None-Match: *`, `Update`
//!   sends `If-Match: <ETag>` (S3 and Azure alike).
//! - Version token: the ETag (see the `version` notes in the README for S3's write ids);
//!   digest: the MD5 an S3 single-part ETag is (none on Azure).
//! - Large streamed puts are multipart uploads with bounded memory (see [`Tuning`]).
//! - Retries, timeouts and a concurrency limit are set per repository ([`Tuning`],
//!   or `advancedProperties` in a settings file).
//!
//! ```no_run
//! # async fn demo() -> harmony_repo::Result<()> {
//! use harmony_repo::settings::RepoSettings;
//! let settings = RepoSettings::load("/var/secrets/cleo-config-repo")?;
//! let repo = harmony_repo_object_store::open(&settings).await?; // the bucket's root
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

#[cfg(feature = "azureblob")]
mod azure;
mod errors;
mod repo;
#[cfg(feature = "s3")]
mod s3;
mod tuning;
mod upload;
mod version;

#[cfg(feature = "azureblob")]
pub use azure::AZURE_KEY_VARS;
pub use object_store;
pub use repo::{Flavor, ObjectStoreRepository, RESERVED_SEGMENT};
pub use tuning::Tuning;

use harmony_repo::settings::{Connector, RepoSettings};
use harmony_repo::{Error, Repository, Result};
use std::sync::Arc;

/// Opens the bucket (`s3`) or container (`AzureBlob`) the settings name, at its root
/// (`settings.root_path` is ignored: wrap the result in `harmony_repo::Prefixed`).
///
/// Checks that the bucket or container exists and the credentials work (one request):
/// a missing one is a clear `Backend` error, refused credentials are `PermissionDenied`.
pub async fn open(settings: &RepoSettings) -> Result<Arc<dyn Repository>> {
    let tuning = Tuning::from_settings(settings)?;
    let repo = match &settings.connector {
        #[cfg(feature = "s3")]
        Connector::S3(s) => ObjectStoreRepository::s3_from(s, tuning, &settings.source)?,
        #[cfg(feature = "azureblob")]
        Connector::AzureBlob(a) => ObjectStoreRepository::azure_from(a, tuning, &settings.source)?,
        other => {
            return Err(Error::settings(
                &settings.source,
                "type",
                format!(
                    "type '{}' is not served by harmony-repo-object-store (features s3, azureblob)",
                    other.type_name()
                ),
            ))
        }
    };
    repo.check().await?;
    Ok(Arc::new(repo))
}
