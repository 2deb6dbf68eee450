//! One crate to add: the core (`harmony_repo`, re-exported here) plus the backends
//! chosen with cargo features (`file` by default; `smb`, `s3`, `azureblob`, `gcpbucket`),
//! and [`open`] to get the right one from settings.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use harmony_repo_any::{open_location, Key, PutMode};
//! let dir = tempfile::tempdir().unwrap();
//! let repo = open_location(dir.path().to_str().unwrap()).await?;
//! repo.put(&Key::new("hosts/acme.xml")?, "<host/>".into(), PutMode::Create).await?;
//! # Ok::<_, harmony_repo_any::Error>(()) }).unwrap();
//! ```
//!
//! The README's example, compiled here so it stays true:
//!
//! ```no_run
//! use harmony_repo_any::{open_node, settings::HarmonyEnv, Error, Key, PutMode, Repository};
//!
//! /// Edits a shared configuration file with compare-and-swap: no node loses another's update.
//! async fn edit_partner(env: &HarmonyEnv) -> Result<(), Error> {
//!     let node = open_node(env).await?;
//!     let key = Key::new("hosts/acme.xml")?;
//!     loop {
//!         let current = node.config.get(&key).await?;
//!         let version = current.meta.version.clone().expect("every backend has versions");
//!         let mut xml = current.bytes().await?.to_vec();
//!         xml.extend_from_slice(b"<!-- edited -->");
//!         match node.config.put(&key, xml.into(), PutMode::Update(version)).await {
//!             Err(Error::Precondition(..)) => continue, // another node wrote first: re-read
//!             other => {
//!                 other?;
//!                 break;
//!             }
//!         }
//!     }
//!     // This node's own runtime tree (protocol message IDs, MDNs).
//!     if let Some(rt) = &node.runtime {
//!         rt.put(&Key::new("mdn/msg-1.txt")?, "receipt".into(), PutMode::Create).await?;
//!     }
//!     Ok(())
//! }
//! // With CLEO_SYSTEM_NAME, HOSTNAME and the settings files in CLEO_SECRETS_MOUNT_POINT:
//! // edit_partner(&HarmonyEnv::from_env()?).await?;
//! ```

pub use harmony_repo::*;

use harmony_repo::layout::{ConfigTree, System};
use harmony_repo::settings::{Connector, HarmonyEnv, RepoSettings};
use std::sync::Arc;

/// Opens the repository the settings describe, rooted at their `rootPath`.
pub async fn open(settings: &RepoSettings) -> Result<Arc<dyn Repository>> {
    let store = open_store(settings).await?;
    Ok(match settings.root_prefix()? {
        Some(prefix) => Arc::new(Prefixed::new(store, prefix)),
        None => store,
    })
}

/// Opens a URL (`s3://...`), a folder, or a settings file (the vendor's YAML).
pub async fn open_location(spec: &str) -> Result<Arc<dyn Repository>> {
    open(&RepoSettings::parse_location(spec)?).await
}

/// A node's view of its cluster: the shared configuration tree and its own runtime tree.
#[derive(Debug)]
pub struct Node {
    /// The system.
    pub system: System,
    /// The configuration tree `<root>/<system>/`.
    pub config: ConfigTree,
    /// The runtime tree `<root>/<system>/<host>/`, when a runtime repository is configured.
    pub runtime: Option<Prefixed>,
}

/// Opens both repositories of a node from its environment ([`HarmonyEnv::from_env`]).
pub async fn open_node(env: &HarmonyEnv) -> Result<Node> {
    let system = System::new(open(&env.config).await?, env.system.clone());
    let runtime = match &env.runtime {
        Some(s) => Some(
            System::new(open(s).await?, env.system.clone())
                .runtime(&env.host)
                .await?,
        ),
        None => None,
    };
    Ok(Node {
        config: system.config(),
        system,
        runtime,
    })
}

fn not_compiled(settings: &RepoSettings, feature: &str) -> Error {
    Error::settings(
        &settings.source,
        "type",
        format!("support for '{feature}' is not compiled in: enable the cargo feature '{feature}' of harmony-repo-any"),
    )
}

async fn open_store(settings: &RepoSettings) -> Result<Arc<dyn Repository>> {
    match &settings.connector {
        #[cfg(feature = "file")]
        Connector::File { .. } => harmony_repo_file::open(settings).await,
        #[cfg(not(feature = "file"))]
        Connector::File { .. } => Err(not_compiled(settings, "file")),
        #[cfg(feature = "smb")]
        Connector::Smb(_) => harmony_repo_smb::open(settings).await,
        #[cfg(not(feature = "smb"))]
        Connector::Smb(_) => Err(not_compiled(settings, "smb")),
        #[cfg(feature = "s3")]
        Connector::S3(_) => harmony_repo_object_store::open(settings).await,
        #[cfg(not(feature = "s3"))]
        Connector::S3(_) => Err(not_compiled(settings, "s3")),
        #[cfg(feature = "azureblob")]
        Connector::AzureBlob(_) => harmony_repo_object_store::open(settings).await,
        #[cfg(not(feature = "azureblob"))]
        Connector::AzureBlob(_) => Err(not_compiled(settings, "azureblob")),
        #[cfg(feature = "gcpbucket")]
        Connector::Gcs(_) => harmony_repo_gcs::open(settings).await,
        #[cfg(not(feature = "gcpbucket"))]
        Connector::Gcs(_) => Err(not_compiled(settings, "gcpbucket")),
        _ => Err(not_compiled(settings, settings.connector.type_name())),
    }
}
