//! Per-repository tuning: retries, timeouts, concurrency and upload sizes.

use harmony_repo::settings::RepoSettings;
use harmony_repo::{Error, Result};
use std::time::Duration;

/// How a repository talks to its store. Every field has a sensible default.
///
/// In a settings file, `advancedProperties` may set `maxRetries`, `retryTimeoutSeconds`,
/// `requestTimeoutSeconds`, `connectTimeoutSeconds`, `maxConcurrency` and `partSizeMiB`.
///
/// ```
/// use harmony_repo_object_store::Tuning;
/// let t = Tuning { max_concurrency: 8, ..Tuning::default() };
/// assert_eq!(t.part_size, 8 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Retries of a failed idempotent request (timeouts, 5xx, throttling).
    pub max_retries: usize,
    /// Give up retrying a request after this long.
    pub retry_timeout: Duration,
    /// Timeout of one HTTP request (the whole request, body included).
    pub request_timeout: Duration,
    /// Timeout to open a connection.
    pub connect_timeout: Duration,
    /// Operations in flight at once on this repository (a semaphore).
    pub max_concurrency: usize,
    /// Size of a multipart upload's parts (S3 needs at least 5 MiB).
    pub part_size: usize,
    /// Parts of one streamed put uploaded at once.
    pub parts_in_flight: usize,
    /// A streamed put up to this size is buffered and sent as one (conditional) request.
    pub single_put_limit: usize,
    /// Largest streamed put with `PutMode::Update` (buffered in memory: the stores offer
    /// no conditional multipart completion through `object_store`).
    pub update_buffer_limit: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
            request_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            max_concurrency: 64,
            part_size: 8 << 20,
            parts_in_flight: 4,
            single_put_limit: 8 << 20,
            update_buffer_limit: 32 << 20,
        }
    }
}

impl Tuning {
    /// The defaults, overridden by the settings' `advancedProperties`.
    pub fn from_settings(settings: &RepoSettings) -> Result<Tuning> {
        let mut t = Tuning::default();
        let num = |key: &str| -> Result<Option<u64>> {
            match settings.advanced.get(key) {
                None => Ok(None),
                Some(v) => v.trim().parse::<u64>().map(Some).map_err(|_| {
                    Error::settings(
                        &settings.source,
                        format!("advancedProperties.{key}"),
                        "expected a whole number",
                    )
                }),
            }
        };
        if let Some(n) = num("maxRetries")? {
            t.max_retries = n as usize;
        }
        if let Some(n) = num("retryTimeoutSeconds")? {
            t.retry_timeout = Duration::from_secs(n);
        }
        if let Some(n) = num("requestTimeoutSeconds")? {
            t.request_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = num("connectTimeoutSeconds")? {
            t.connect_timeout = Duration::from_secs(n.max(1));
        }
        if let Some(n) = num("maxConcurrency")? {
            t.max_concurrency = n.max(1) as usize;
        }
        if let Some(n) = num("partSizeMiB")? {
            t.part_size = (n.clamp(5, 4096) as usize) << 20;
        }
        Ok(t)
    }

    pub(crate) fn client_options(&self) -> object_store::ClientOptions {
        object_store::ClientOptions::new()
            .with_timeout(self.request_timeout)
            .with_connect_timeout(self.connect_timeout)
    }

    pub(crate) fn retry_config(&self) -> object_store::RetryConfig {
        object_store::RetryConfig {
            max_retries: self.max_retries,
            retry_timeout: self.retry_timeout,
            ..Default::default()
        }
    }
}
