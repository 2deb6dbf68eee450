//! Repository settings: the vendor's YAML files (`cleo-config-repo`,
//! `cleo-runtime-repo`), URLs, and the Harmony environment of a node.

mod env;
mod secret;
mod url;
mod yaml;

pub use env::HarmonyEnv;
pub use secret::Secret;

use crate::error::Result;
use crate::key::Key;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Where a repository lives and how to reach it.
///
/// ```
/// use harmony_repo::settings::{Connector, RepoSettings};
/// let s = RepoSettings::from_yaml("---\ntype: S3\nrootPath: /shared-config\nconnectorProperties:\n  bucket: b\n  region: us-east-1\n  accessKey: AK\n  secretAccessKey: SK\n", "cleo-config-repo")?;
/// assert_eq!(s.root_prefix()?.unwrap().as_str(), "shared-config");
/// let Connector::S3(s3) = &s.connector else { panic!() };
/// assert_eq!(s3.bucket, "b");
/// assert!(!format!("{s:?}").contains("SK"));
/// # Ok::<_, harmony_repo::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RepoSettings {
    /// Where these settings came from (a file path or a URL without credentials).
    pub source: String,
    /// The prefix inside the store (top-level `rootPath`, or the sub-path of an SMB `sharePath`).
    pub root_path: Option<String>,
    /// The store and its connection properties.
    pub connector: Connector,
    /// `advancedProperties`, kept as given (scalars as text).
    pub advanced: BTreeMap<String, String>,
    /// Keys this library does not use, kept (dotted names), values redacted in `Debug`.
    pub unknown: BTreeMap<String, Secret>,
}

/// The store a repository lives in, with its properties.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Connector {
    /// A mounted folder (NFS, EFS, Azure Files, Filestore or local).
    File {
        /// The folder.
        root: PathBuf,
    },
    /// An SMB share.
    Smb(SmbSettings),
    /// Amazon S3 or an S3-compatible store.
    S3(S3Settings),
    /// Azure Blob Storage.
    AzureBlob(AzureSettings),
    /// Google Cloud Storage.
    Gcs(GcsSettings),
}

impl Connector {
    /// The vendor's name of the type (`file`, `smb`, `s3`, `AzureBlob`, `GCPBucket`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Connector::File { .. } => "file",
            Connector::Smb(_) => "smb",
            Connector::S3(_) => "s3",
            Connector::AzureBlob(_) => "AzureBlob",
            Connector::Gcs(_) => "GCPBucket",
        }
    }
}

/// An SMB share (`sharePath: //server/share/sub`).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SmbSettings {
    /// Server host name or address.
    pub server: String,
    /// TCP port, when not 445.
    pub port: Option<u16>,
    /// Share name.
    pub share: String,
    /// User name.
    pub user: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Domain or workgroup.
    pub domain: Option<String>,
}

/// An S3 bucket.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct S3Settings {
    /// Bucket name.
    pub bucket: String,
    /// Region.
    pub region: Option<String>,
    /// `HTTPS` (default) or `HTTP`.
    pub https: bool,
    /// Access key id (from the environment when absent).
    pub access_key: Option<Secret>,
    /// Secret access key (from the environment when absent).
    pub secret_access_key: Option<Secret>,
    /// Endpoint of an S3-compatible service (MinIO, ...).
    pub endpoint: Option<String>,
    /// Path-style addressing (default: on when an endpoint is given).
    pub path_style: Option<bool>,
}

/// An Azure Blob container.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AzureSettings {
    /// Storage account name.
    pub account: String,
    /// Account key (from the environment when absent).
    pub access_key: Option<Secret>,
    /// Container name.
    pub container: String,
    /// Blob type (`BLOCK_BLOB`).
    pub blob_type: Option<String>,
    /// Endpoint (Azurite, sovereign clouds), e.g. `http://127.0.0.1:10000/devstoreaccount1`.
    pub endpoint: Option<String>,
}

/// A Google Cloud Storage bucket.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct GcsSettings {
    /// Bucket name.
    pub bucket: String,
    /// Project id.
    pub project_id: Option<String>,
    /// The service-account key JSON document.
    pub account_key: Option<Secret>,
    /// Endpoint of an emulator (fake-gcs-server).
    pub endpoint: Option<String>,
}

impl RepoSettings {
    /// Parses a settings document (`source_name` is used in errors).
    pub fn from_yaml(text: &str, source_name: &str) -> Result<RepoSettings> {
        yaml::parse(text, source_name)
    }

    /// Reads and parses a settings file.
    pub fn load(path: impl AsRef<std::path::Path>) -> Result<RepoSettings> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::Error::settings(&name, "", format!("cannot read the file: {e}")))?;
        yaml::parse(&text, &name)
    }

    /// Parses a URL: `file:///srv/repo`, `smb://[user@]server[:port]/share/sub`,
    /// `s3://bucket/prefix`, `az://account/container/prefix`, `gs://bucket/prefix`.
    /// Query options: `endpoint`, `region`, `path_style`, `domain`, `protocol`.
    ///
    /// ```
    /// use harmony_repo::settings::{Connector, RepoSettings};
    /// let s = RepoSettings::from_url("s3://bkt/shared-config?endpoint=http://127.0.0.1:9000")?;
    /// assert_eq!(s.root_path.as_deref(), Some("shared-config"));
    /// # Ok::<_, harmony_repo::Error>(())
    /// ```
    pub fn from_url(url: &str) -> Result<RepoSettings> {
        url::parse(url)
    }

    /// A URL, a folder, or a settings file: what the tools accept on the command line.
    pub fn parse_location(spec: &str) -> Result<RepoSettings> {
        if spec.contains("://") {
            return Self::from_url(spec);
        }
        let p = std::path::Path::new(spec);
        if p.is_file() {
            Self::load(p)
        } else {
            Ok(Self::folder(p))
        }
    }

    /// A plain folder.
    pub fn folder(path: impl Into<PathBuf>) -> RepoSettings {
        let root = path.into();
        RepoSettings {
            source: root.display().to_string(),
            root_path: None,
            connector: Connector::File { root },
            advanced: BTreeMap::new(),
            unknown: BTreeMap::new(),
        }
    }

    /// The prefix inside the store, validated (`/shared-config/` gives `shared-config`).
    pub fn root_prefix(&self) -> Result<Option<Key>> {
        match self.root_path.as_deref().map(|p| p.trim_matches('/')) {
            None | Some("") => Ok(None),
            Some(p) => Key::new(p).map(Some).map_err(|e| {
                crate::Error::settings(&self.source, "rootPath", format!("not a valid prefix: {e}"))
            }),
        }
    }
}
