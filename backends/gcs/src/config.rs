//! Settings and the builder: which bucket, which endpoint, which credentials.

use crate::errors;
use crate::repo::GcsRepository;
use gcloud_storage::client::google_cloud_auth::credentials::CredentialsFile;
use gcloud_storage::client::{Client, ClientConfig};
use harmony_repo::settings::{GcsSettings, Secret};
use harmony_repo::{Error, Location, Result};

/// The settings key that holds the service-account key, named in errors.
pub const KEY_SETTING: &str = "connectorProperties.googleAccountKey";

/// Default size above which a streamed put uses a resumable upload (8 MiB); below it the
/// object is buffered and sent in one multipart upload.
pub const DEFAULT_STREAM_THRESHOLD: usize = 8 << 20;

/// How the client authenticates.
#[derive(Clone, Debug, PartialEq)]
pub enum GcsAuth {
    /// No credentials: for emulators (fake-gcs-server) and public buckets.
    Anonymous,
    /// A service-account key: the whole JSON document (`googleAccountKey`).
    ServiceAccountKey(Secret),
    /// Application-default credentials: `GOOGLE_APPLICATION_CREDENTIALS`, the gcloud
    /// user credentials, or the metadata server on Google Cloud.
    ApplicationDefault,
}

/// Builds a [`GcsRepository`].
///
/// ```no_run
/// # async fn f() -> harmony_repo::Result<()> {
/// use harmony_repo_gcs::{GcsAuth, GcsBuilder};
/// let repo = GcsBuilder::new("my-bucket")
///     .endpoint("http://127.0.0.1:4443")
///     .auth(GcsAuth::Anonymous)
///     .build()
///     .await?;
/// assert_eq!(repo.to_string(), "gs://my-bucket");
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct GcsBuilder {
    pub(crate) bucket: String,
    pub(crate) endpoint: Option<String>,
    pub(crate) auth: GcsAuth,
    pub(crate) project_id: Option<String>,
    pub(crate) stream_threshold: usize,
    pub(crate) source: String,
}

impl GcsBuilder {
    /// A bucket on Google Cloud Storage, with application-default credentials.
    pub fn new(bucket: impl Into<String>) -> Self {
        let bucket = bucket.into();
        GcsBuilder {
            source: format!("gs://{bucket}"),
            bucket,
            endpoint: None,
            auth: GcsAuth::ApplicationDefault,
            project_id: None,
            stream_threshold: DEFAULT_STREAM_THRESHOLD,
        }
    }

    /// From parsed settings (`source` names the file or URL in errors). The key, if
    /// any, is checked here: a malformed one is an [`Error::InvalidSettings`] naming
    /// `connectorProperties.googleAccountKey`, never showing the key.
    ///
    /// Credentials: the embedded key if given; else anonymous when an `endpoint` is
    /// set (an emulator); else application-default credentials.
    pub fn from_settings(s: &GcsSettings, source: &str) -> Result<Self> {
        if s.bucket.trim().is_empty() {
            return Err(Error::settings(
                source,
                "connectorProperties.bucketName",
                "missing: expected the bucket name",
            ));
        }
        let auth = match (&s.account_key, &s.endpoint) {
            (Some(key), _) => {
                parse_key(key, source)?;
                GcsAuth::ServiceAccountKey(key.clone())
            }
            (None, Some(_)) => GcsAuth::Anonymous,
            (None, None) => GcsAuth::ApplicationDefault,
        };
        let mut b = GcsBuilder::new(s.bucket.trim());
        b.endpoint = s.endpoint.clone();
        b.project_id = s.project_id.clone();
        b.auth = auth;
        b.source = source.to_string();
        Ok(b)
    }

    /// The storage endpoint (default `https://storage.googleapis.com`), e.g. an emulator's.
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The credentials.
    pub fn auth(mut self, auth: GcsAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The project id (informational; object operations do not need it).
    pub fn project_id(mut self, id: impl Into<String>) -> Self {
        self.project_id = Some(id.into());
        self
    }

    /// Streamed puts up to this size are buffered and sent in one multipart upload
    /// (whose generation preconditions every GCS implementation honours); larger ones use
    /// a resumable upload in chunks of this size (rounded up to 256 KiB), with bounded memory.
    pub fn stream_threshold(mut self, bytes: usize) -> Self {
        const Q: usize = 256 << 10;
        self.stream_threshold = bytes.max(1).div_ceil(Q) * Q;
        self
    }

    /// Builds the client, fetches a first token (bad credentials fail here with
    /// `PermissionDenied`), and checks that the bucket exists (`NotFound` naming it if not).
    pub async fn build(self) -> Result<GcsRepository> {
        let loc = || Location::repo(format!("gs://{}", self.bucket));
        let mut cfg = ClientConfig {
            project_id: self.project_id.clone(),
            ..Default::default()
        };
        if let Some(e) = &self.endpoint {
            cfg.storage_endpoint = e.trim_end_matches('/').to_string();
        }
        let cfg = match &self.auth {
            GcsAuth::Anonymous => cfg.anonymous(),
            GcsAuth::ServiceAccountKey(key) => {
                parse_key(key, &self.source)?;
                let creds = CredentialsFile::new_from_str(key.expose())
                    .await
                    .map_err(|_| bad_key(&self.source, "not a usable service-account key"))?;
                cfg.with_credentials(creds)
                    .await
                    .map_err(|e| errors::map_auth(loc(), e))?
            }
            GcsAuth::ApplicationDefault => cfg
                .with_auth()
                .await
                .map_err(|e| errors::map_auth(loc(), e))?,
        };
        let repo = GcsRepository::new(Client::new(cfg), self);
        repo.check_bucket().await?;
        Ok(repo)
    }
}

fn bad_key(source: &str, problem: impl Into<String>) -> Error {
    Error::settings(source, KEY_SETTING, problem)
}

/// Checks the key's shape without ever echoing its content (serde messages can quote
/// values, so only positions and field names are reported).
fn parse_key(key: &Secret, source: &str) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(key.expose()).map_err(|e| {
        bad_key(
            source,
            format!(
                "not valid JSON (line {}, column {}): expected the service-account key document",
                e.line(),
                e.column()
            ),
        )
    })?;
    let field = |name: &str| {
        v.get(name)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
    };
    let Some(ty) = field("type") else {
        return Err(bad_key(
            source,
            "expected a JSON object with a \"type\" field (a service-account key)",
        ));
    };
    if ty == "service_account" {
        for f in ["client_email", "private_key"] {
            if field(f).is_none() {
                return Err(bad_key(
                    source,
                    format!("the service-account key has no \"{f}\""),
                ));
            }
        }
    }
    Ok(())
}
