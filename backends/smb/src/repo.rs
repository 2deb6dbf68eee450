//! The repository: connection, credentials check, and the `Repository` trait.

use crate::config::SmbConfig;
use crate::names::{stored_path, INTERNAL_DIR};
use crate::ops::{is_kind, map_err, Ops, Paths, Tuning};
use crate::transfer;
use async_trait::async_trait;
use bytes::Bytes;
use harmony_repo::{
    once_stream, ByteStream, Error, GetResult, Key, ListStream, Listing, Location, ObjectMeta,
    PutMode, Repository, Result,
};
use pavao::{SmbClient, SmbCredentials, SmbOptions};
use std::fmt;
use std::io::ErrorKind;
use std::ops::Range;
use std::sync::Arc;

pub(crate) struct Inner {
    pub client: SmbClient,
    pub name: String,
    pub tuning: Tuning,
}

impl Inner {
    pub fn ops(&self) -> Ops<'_> {
        Ops {
            c: &self.client,
            t: self.tuning,
        }
    }

    pub fn loc(&self, key: &Key) -> Location {
        Location::new(&self.name, key)
    }
}

/// A repository on an SMB share. Cheap to clone (shares one connection).
#[derive(Clone)]
pub struct SmbRepository {
    pub(crate) inner: Arc<Inner>,
}

/// Runs a blocking closure on the blocking pool, with the repository's client.
pub(crate) async fn blocking<T: Send + 'static>(
    inner: &Arc<Inner>,
    f: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
) -> Result<T> {
    let inner = inner.clone();
    let name = inner.name.clone();
    tokio::task::spawn_blocking(move || f(&inner))
        .await
        .map_err(|e| Error::backend(Location::repo(name), e))?
}

impl SmbRepository {
    /// Connects to the share and checks the credentials with a first request (a
    /// wrong password is `PermissionDenied`, a missing share `NotFound`, a server
    /// that does not answer `Unavailable`).
    pub async fn connect(config: SmbConfig) -> Result<SmbRepository> {
        let name = config.url();
        let loc = Location::repo(&name);
        let tuning = Tuning {
            stale_after: config.lock_stale_after,
            wait_timeout: config.wait_timeout,
        };
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner> {
            let server = match config.port {
                Some(p) => format!("smb://{}:{p}", config.server),
                None => format!("smb://{}", config.server),
            };
            let creds = SmbCredentials::default()
                .server(server)
                .share(format!("/{}", config.share))
                .username(config.user.as_deref().unwrap_or("guest"))
                .password(config.password.as_ref().map(|p| p.expose()).unwrap_or(""))
                .workgroup(config.workgroup.as_deref().unwrap_or("WORKGROUP"));
            let client = SmbClient::new(creds, SmbOptions::default())
                .map_err(|e| Error::backend(loc.clone(), e))?;
            let inner = Inner {
                client,
                name: name.clone(),
                tuning,
            };
            check_share(&inner, &config)?;
            let ops = inner.ops();
            for sub in ["locks", "tmp", "meta"] {
                if let Err(e) = ops.mkdirs(&format!("/{INTERNAL_DIR}/{sub}")) {
                    tracing::warn!(repo = %name, "cannot create /{INTERNAL_DIR}/{sub}: {e}");
                }
            }
            Ok(inner)
        })
        .await
        .map_err(|e| Error::backend(Location::repo("smb"), e))??;
        Ok(SmbRepository {
            inner: Arc::new(inner),
        })
    }

    /// Where the lock of `key` lives on the share (relative to the share root, as
    /// stored): an operator may delete it after a crash instead of waiting.
    pub fn lock_path(&self, key: &Key) -> Result<String> {
        let p = Paths::new(&stored_path(key)?);
        Ok(p.lock.trim_start_matches('/').to_string())
    }
}

fn check_share(inner: &Inner, config: &SmbConfig) -> Result<()> {
    let loc = Location::repo(&inner.name);
    match inner.client.stat("/") {
        Ok(_) => Ok(()),
        Err(e) if is_kind(&e, ErrorKind::PermissionDenied) => Err(Error::PermissionDenied(
            loc,
            format!(
                "the server refused the login of user '{}' (wrong user name or password?)",
                config.user.as_deref().unwrap_or("guest")
            )
            .into(),
        )),
        Err(e) if is_kind(&e, ErrorKind::NotFound) => Err(Error::NotFound(Location::new(
            &inner.name,
            format!("share '{}' not found on the server", config.share),
        ))),
        Err(e) => Err(map_err(loc, e)),
    }
}

impl fmt::Display for SmbRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.inner.name)
    }
}

impl fmt::Debug for SmbRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmbRepository")
            .field("url", &self.inner.name)
            .finish()
    }
}

#[async_trait]
impl Repository for SmbRepository {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        transfer::head(&self.inner, key).await
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        transfer::get(&self.inner, key, range).await
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        transfer::put(&self.inner, key, once_stream(data), mode).await
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        transfer::put(&self.inner, key, body, mode).await
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        crate::list::list(self.inner.clone(), prefix.cloned())
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        crate::list::list_with_delimiter(&self.inner, prefix.cloned()).await
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        transfer::delete(&self.inner, key).await
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let src = self.get(from).await?;
        let mode = if create_only {
            PutMode::Create
        } else {
            PutMode::Overwrite
        };
        transfer::put(&self.inner, to, src.body, mode).await
    }
}
