//! Amazon S3 and S3-compatible stores (MinIO, ...).

use crate::repo::{Flavor, ObjectStoreRepository};
use crate::tuning::Tuning;
use harmony_repo::settings::S3Settings;
use harmony_repo::{Error, Result};
use object_store::aws::{AmazonS3Builder, S3ConditionalPut, S3CopyIfNotExists};
use std::sync::Arc;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ObjectStoreRepository {
    /// An S3 bucket (at its root). Credentials come from the settings, else from
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (and `AWS_SESSION_TOKEN`), else from
    /// the instance's role (IMDS). The region defaults to `AWS_REGION`, then `us-east-1`.
    /// Makes no request: call [`check`](Self::check) to test the bucket and credentials.
    pub fn s3(settings: &S3Settings, tuning: Tuning) -> Result<Self> {
        Self::s3_from(settings, tuning, "s3 settings")
    }

    pub(crate) fn s3_from(s: &S3Settings, tuning: Tuning, source: &str) -> Result<Self> {
        if s.bucket.trim().is_empty() {
            return Err(Error::settings(
                source,
                "connectorProperties.bucket",
                "missing: expected the bucket name",
            ));
        }
        let region = s
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        let mut allow_http = !s.https;
        // Explicit builder (not `from_env`): only the variables named above are read.
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&s.bucket)
            .with_region(region)
            .with_client_options(tuning.client_options())
            .with_retry(tuning.retry_config())
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_copy_if_not_exists(S3CopyIfNotExists::Multipart);
        if let Some(ep) = s.endpoint.as_deref().filter(|e| !e.trim().is_empty()) {
            let ep = if ep.contains("://") {
                ep.to_string()
            } else {
                format!("{}://{ep}", if s.https { "https" } else { "http" })
            };
            allow_http |= ep.starts_with("http://");
            b = b
                .with_endpoint(ep)
                .with_virtual_hosted_style_request(!s.path_style.unwrap_or(true));
        } else if let Some(ps) = s.path_style {
            b = b.with_virtual_hosted_style_request(!ps);
        }
        b = b.with_allow_http(allow_http);
        let mut secrets = vec![];
        let (key, secret, token) = match (&s.access_key, &s.secret_access_key) {
            (Some(k), Some(sk)) => (
                Some(k.expose().to_string()),
                Some(sk.expose().to_string()),
                None,
            ),
            (None, None) => (
                env("AWS_ACCESS_KEY_ID"),
                env("AWS_SECRET_ACCESS_KEY"),
                env("AWS_SESSION_TOKEN"),
            ),
            _ => {
                return Err(Error::settings(
                    source,
                    "connectorProperties.secretAccessKey",
                    "accessKey and secretAccessKey go together: give both or neither",
                ))
            }
        };
        if let (Some(k), Some(sk)) = (key, secret) {
            secrets.extend([k.clone(), sk.clone()]);
            b = b.with_access_key_id(k).with_secret_access_key(sk);
            if let Some(t) = token {
                secrets.push(t.clone());
                b = b.with_token(t);
            }
        }
        let store = b
            .build()
            .map_err(|e| crate::errors::build_error(source, &e, &secrets))?;
        Ok(Self::with_flavor(
            Arc::new(store),
            format!("s3://{}", s.bucket),
            Flavor::S3,
            "bucket",
            s.bucket.clone(),
            secrets,
            tuning,
        ))
    }
}
