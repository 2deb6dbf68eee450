//! The two Harmony trees: a system's configuration tree `<root>/<system>/...`, shared
//! by every node, and each node's runtime tree `<root>/<system>/<host>/...`.
//!
//! Runtime trees are recognised by a marker object that [`System::runtime`] writes
//! *before* the tree is used: `<system>/.harmony/runtime/<host>`. The configuration
//! view reads those markers after its own listing, so it never lists, copies or
//! deletes a runtime tree, even one created while it lists. `.harmony/` is reserved.

use crate::error::{Error, Location, Result};
use crate::key::{Key, Name};
use crate::prefixed::Prefixed;
use crate::repository::*;
use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{StreamExt, TryStreamExt};
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The reserved folder at the top of a system's tree.
pub const RESERVED_DIR: &str = ".harmony";
const HOSTS_DIR: &str = ".harmony/runtime";
/// How long a configuration view trusts its list of runtime hosts for single-key operations.
const HOSTS_TTL: Duration = Duration::from_secs(1);

/// One Harmony system in a repository: `<root>/<system>/`.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use harmony_repo::{layout::System, Key, MemoryRepository, Name, PutMode, Repository};
/// use futures::TryStreamExt;
/// use std::sync::Arc;
/// let root = Arc::new(MemoryRepository::new());
/// let sys = System::new(root, Name::new("System1")?);
/// let node = sys.runtime(&Name::new("harmony-1")?).await?;
/// node.put(&Key::new("mdn/1.txt")?, "receipt".into(), PutMode::Create).await?;
/// let config = sys.config();
/// config.put(&Key::new("hosts/acme.xml")?, "<host/>".into(), PutMode::Create).await?;
/// let keys: Vec<_> = config.list(None).map_ok(|m| m.key.to_string()).try_collect().await?;
/// assert_eq!(keys, ["hosts/acme.xml"]); // the runtime tree is not part of the configuration
/// assert_eq!(sys.hosts().await?, [Name::new("harmony-1")?]);
/// # Ok::<_, harmony_repo::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct System {
    tree: Arc<Prefixed>,
    name: Name,
}

impl System {
    /// The system `name` inside `root` (a repository already rooted at `rootPath`).
    pub fn new(root: Arc<dyn Repository>, name: Name) -> System {
        System {
            tree: Arc::new(Prefixed::new(root, name.to_key())),
            name,
        }
    }

    /// The system's name.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// The configuration tree: everything below `<system>/` but the runtime trees.
    pub fn config(&self) -> ConfigTree {
        ConfigTree {
            tree: self.tree.clone(),
            hosts: Arc::new(Mutex::new(None)),
        }
    }

    /// The runtime tree of `host`, registering it first if it is new.
    pub async fn runtime(&self, host: &Name) -> Result<Prefixed> {
        let marker = Key::new(HOSTS_DIR)?.join(host.as_str())?;
        let body = Bytes::from(format!(
            "{{\"host\":\"{}\"}}\n",
            host.as_str().escape_default()
        ));
        match self.tree.put(&marker, body, PutMode::Create).await {
            Ok(_) | Err(Error::AlreadyExists(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(Prefixed::new(self.tree.clone(), host.to_key()))
    }

    /// The hosts that have a runtime tree in this system.
    pub async fn hosts(&self) -> Result<Vec<Name>> {
        list_hosts(&*self.tree)
            .await?
            .into_iter()
            .map(Name::new)
            .collect()
    }
}

async fn list_hosts(tree: &dyn Repository) -> Result<BTreeSet<String>> {
    let dir = Key::new(HOSTS_DIR)?;
    let listing = tree.list_with_delimiter(Some(&dir)).await?;
    Ok(listing
        .objects
        .into_iter()
        .map(|m| m.key.file_name().to_string())
        .collect())
}

/// When the runtime hosts were read, and which they were.
type HostsCache = (Instant, Arc<BTreeSet<String>>);

/// A system's configuration tree: a [`Repository`] that cannot see runtime trees.
#[derive(Clone)]
pub struct ConfigTree {
    tree: Arc<Prefixed>,
    hosts: Arc<Mutex<Option<HostsCache>>>,
}

impl ConfigTree {
    async fn fresh_hosts(&self) -> Result<Arc<BTreeSet<String>>> {
        let hosts = Arc::new(list_hosts(&*self.tree).await?);
        *self.hosts.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((Instant::now(), hosts.clone()));
        Ok(hosts)
    }

    async fn cached_hosts(&self) -> Result<Arc<BTreeSet<String>>> {
        let cached = self.hosts.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match cached {
            Some((at, h)) if at.elapsed() < HOSTS_TTL => Ok(h),
            _ => self.fresh_hosts().await,
        }
    }

    /// Refuses keys in the reserved folder or in a runtime tree.
    async fn check(&self, key: &Key) -> Result<()> {
        let first = key.segments().next().unwrap_or_default();
        if first == RESERVED_DIR {
            return Err(Error::invalid_path(
                key.to_string(),
                "'.harmony' is reserved for the layout",
            ));
        }
        if key.as_str().contains('/') && self.cached_hosts().await?.contains(first) {
            return Err(Error::PermissionDenied(
                Location::new(self, key),
                format!("inside the runtime tree of host '{first}', not the configuration").into(),
            ));
        }
        Ok(())
    }

    fn hidden(hosts: &BTreeSet<String>, prefix: &Key) -> bool {
        prefix.as_str() == RESERVED_DIR || hosts.contains(prefix.as_str())
    }
}

impl fmt::Debug for ConfigTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigTree")
            .field("tree", &self.tree)
            .finish()
    }
}

impl fmt::Display for ConfigTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.tree, f)
    }
}

#[async_trait]
impl Repository for ConfigTree {
    async fn head(&self, key: &Key) -> Result<ObjectMeta> {
        self.check(key).await?;
        self.tree.head(key).await
    }

    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult> {
        self.check(key).await?;
        self.tree.get_range(key, range).await
    }

    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta> {
        self.check(key).await?;
        self.tree.put(key, data, mode).await
    }

    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta> {
        self.check(key).await?;
        self.tree.put_stream(key, body, mode).await
    }

    fn list(&self, prefix: Option<&Key>) -> ListStream<'_> {
        if let Some(p) = prefix {
            let p = p.clone();
            return futures::stream::once(async move {
                let tree: &dyn Repository = &*self.tree;
                self.check(&p.join("x")?).await.map(|_| tree.list(Some(&p)))
            })
            .try_flatten()
            .boxed();
        }
        // Whole tree: top-level objects, then each top-level folder that is not a
        // runtime tree, merged in key order. Hosts are read after the top listing.
        futures::stream::once(async move {
            let top = self.tree.list_with_delimiter(None).await?;
            let hosts = self.fresh_hosts().await?;
            let mut parts: Vec<(String, ListStream<'_>)> = top
                .objects
                .into_iter()
                .map(|m| {
                    (
                        m.key.to_string(),
                        futures::stream::once(async { Ok(m) }).boxed(),
                    )
                })
                .collect();
            for p in top
                .prefixes
                .into_iter()
                .filter(|p| !Self::hidden(&hosts, p))
            {
                let tree: &dyn Repository = &*self.tree;
                parts.push((format!("{p}/"), tree.list(Some(&p))));
            }
            parts.sort_by(|a, b| a.0.cmp(&b.0));
            Ok::<_, Error>(futures::stream::iter(parts.into_iter().map(|(_, s)| s)).flatten())
        })
        .try_flatten()
        .boxed()
    }

    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing> {
        match prefix {
            Some(p) => {
                self.check(&p.join("x")?).await?;
                self.tree.list_with_delimiter(Some(p)).await
            }
            None => {
                let mut l = self.tree.list_with_delimiter(None).await?;
                let hosts = self.fresh_hosts().await?;
                l.prefixes.retain(|p| !Self::hidden(&hosts, p));
                Ok(l)
            }
        }
    }

    async fn delete(&self, key: &Key) -> Result<()> {
        self.check(key).await?;
        self.tree.delete(key).await
    }

    async fn delete_prefix(&self, prefix: &Key) -> Result<u64> {
        self.check(&prefix.join("x")?).await?;
        if Self::hidden(&*self.fresh_hosts().await?, prefix) {
            return Err(Error::PermissionDenied(
                Location::new(self, prefix),
                "a runtime tree".into(),
            ));
        }
        self.tree.delete_prefix(prefix).await
    }

    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        self.check(from).await?;
        self.check(to).await?;
        self.tree.copy(from, to, create_only).await
    }

    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        self.check(from).await?;
        self.check(to).await?;
        self.tree.rename(from, to, create_only).await
    }
}
