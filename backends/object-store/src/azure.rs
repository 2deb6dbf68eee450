//! Azure Blob Storage (block blobs) and Azurite.

use crate::repo::{Flavor, ObjectStoreRepository};
use crate::tuning::Tuning;
use harmony_repo::settings::AzureSettings;
use harmony_repo::{Error, Result};
use object_store::azure::MicrosoftAzureBuilder;
use std::sync::Arc;

/// Environment variables read for the account key when the settings have none.
pub const AZURE_KEY_VARS: [&str; 3] = [
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_KEY",
];

impl ObjectStoreRepository {
    /// An Azure Blob container (at its root). The account key comes from the settings,
    /// else from the first of [`AZURE_KEY_VARS`] that is set, else `object_store`'s
    /// default chain (managed identity, ...). Only `BLOCK_BLOB` is supported.
    /// Makes no request: call [`check`](Self::check) to test the container and key.
    pub fn azure(settings: &AzureSettings, tuning: Tuning) -> Result<Self> {
        Self::azure_from(settings, tuning, "AzureBlob settings")
    }

    pub(crate) fn azure_from(s: &AzureSettings, tuning: Tuning, source: &str) -> Result<Self> {
        if let Some(t) = s.blob_type.as_deref() {
            let norm: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            if !norm.eq_ignore_ascii_case("BLOCKBLOB") {
                return Err(Error::settings(
                    source,
                    "connectorProperties.blobType",
                    format!("blob type '{t}' is not supported: only BLOCK_BLOB is"),
                ));
            }
        }
        for (v, k, what) in [
            (&s.account, "storageAccountName", "the storage account name"),
            (&s.container, "container", "the container name"),
        ] {
            if v.trim().is_empty() {
                return Err(Error::settings(
                    source,
                    format!("connectorProperties.{k}"),
                    format!("missing: expected {what}"),
                ));
            }
        }
        let mut b = MicrosoftAzureBuilder::new()
            .with_account(&s.account)
            .with_container_name(&s.container)
            .with_client_options(tuning.client_options())
            .with_retry(tuning.retry_config());
        if let Some(ep) = s.endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
            b = b
                .with_allow_http(ep.starts_with("http://"))
                .with_endpoint(ep.trim_end_matches('/').to_string());
        }
        let key = match &s.access_key {
            Some(k) => Some(k.expose().to_string()),
            None => AZURE_KEY_VARS
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|v| !v.trim().is_empty())),
        };
        let mut secrets = vec![];
        if let Some(k) = key {
            secrets.push(k.clone());
            b = b.with_access_key(k);
        }
        let store = b
            .build()
            .map_err(|e| crate::errors::build_error(source, &e, &secrets))?;
        Ok(Self::with_flavor(
            Arc::new(store),
            format!("az://{}/{}", s.account, s.container),
            Flavor::Azure,
            "container",
            s.container.clone(),
            secrets,
            tuning,
        ))
    }
}
