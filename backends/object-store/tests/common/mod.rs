//! Shared test helpers: repositories on the test servers, from the environment.
#![allow(dead_code)]

use harmony_repo::conformance::server_env;
use harmony_repo::settings::{AzureSettings, S3Settings, Secret};

/// S3 settings from `HARMONY_TEST_S3_*` (any S3-compatible server: moto, MinIO, AWS).
pub fn s3_settings() -> Option<S3Settings> {
    let [endpoint, bucket, region, key, secret] = server_env(
        "S3",
        [
            "HARMONY_TEST_S3_ENDPOINT",
            "HARMONY_TEST_S3_BUCKET",
            "HARMONY_TEST_S3_REGION",
            "HARMONY_TEST_S3_ACCESS_KEY",
            "HARMONY_TEST_S3_SECRET_KEY",
        ],
    )?;
    // `HARMONY_TEST_S3_ENDPOINT=aws` means the real AWS endpoint for the region.
    let endpoint = (endpoint != "aws").then_some(endpoint);
    Some(S3Settings {
        bucket,
        region: Some(region),
        https: endpoint
            .as_deref()
            .is_none_or(|e| e.starts_with("https://")),
        access_key: Some(Secret::new(key)),
        secret_access_key: Some(Secret::new(secret)),
        path_style: endpoint.as_ref().map(|_| true),
        endpoint,
    })
}

/// Azure settings from `HARMONY_TEST_AZURE_*` (Azurite or a real account).
pub fn azure_settings() -> Option<AzureSettings> {
    let [endpoint, account, key, container] = server_env(
        "Azure Blob",
        [
            "HARMONY_TEST_AZURE_ENDPOINT",
            "HARMONY_TEST_AZURE_ACCOUNT",
            "HARMONY_TEST_AZURE_KEY",
            "HARMONY_TEST_AZURE_CONTAINER",
        ],
    )?;
    // `HARMONY_TEST_AZURE_ENDPOINT=azure` means the public cloud endpoint of the account.
    let endpoint = (endpoint != "azure").then_some(endpoint);
    Some(AzureSettings {
        account,
        access_key: Some(Secret::new(key)),
        container,
        blob_type: Some("BLOCK_BLOB".into()),
        endpoint,
    })
}

/// A random suffix for test prefixes.
pub fn unique() -> String {
    format!("{:016x}", rand::random::<u64>())
}
