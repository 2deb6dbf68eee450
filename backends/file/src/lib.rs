//! The `file` backend: a mounted folder (local disk, NFS, EFS, Azure Files, Filestore).
//!
//! * Writes go to a temporary file under `<root>/.harmony-repo/tmp/`, are fsynced, and
//!   are published with one `rename` (atomic on POSIX and NFS): readers see the old file
//!   or the new one, never a partial one; an interrupted write leaves only a hidden
//!   temporary file, removed on the next open after an hour.
//! * Create-only and replace-if-version are checked and published under a per-key lock
//!   file (`O_CREAT|O_EXCL`, see [`LockConfig`]), so they hold between processes and
//!   between machines sharing the folder over NFSv3+ (which makes exclusive create and
//!   rename atomic on the server). The lock is held only while publishing.
//! * `.harmony-repo` at the top of the folder is reserved and never listed.
//! * A folder cannot hold both `a` and `a/b`: such a put fails with `InvalidPath`.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use harmony_repo::{Key, PutMode, Repository};
//! let dir = tempfile::tempdir().unwrap();
//! let repo = harmony_repo_file::FileRepository::new(dir.path());
//! repo.put(&Key::new("hosts/acme.xml")?, "<host/>".into(), PutMode::Create).await?;
//! assert!(dir.path().join("hosts/acme.xml").is_file());
//! # Ok::<_, harmony_repo::Error>(()) }).unwrap();
//! ```

mod lock;
mod meta;
mod walk;

pub use lock::LockConfig;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, StreamExt, TryStreamExt};
use harmony_repo::settings::{Connector, RepoSettings};
use harmony_repo::*;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::io::AsyncWriteExt;

/// The reserved top-level folder holding temporary files and locks.
pub const RESERVED: &str = ".harmony-repo";
const CHUNK: usize = 256 * 1024;

/// A repository in a folder.
#[derive(Clone)]
pub struct FileRepository {
    root: Arc<PathBuf>,
    locks: LockConfig,
    fsync: bool,
}

/// Opens the folder named by `file` settings (the facade's entry point).
pub async fn open(settings: &RepoSettings) -> Result<Arc<dyn Repository>> {
    match &settings.connector {
        Connector::File { root } => Ok(Arc::new(FileRepository::new(root))),
        other => Err(Error::settings(
            &settings.source,
            "type",
            format!("expected file, got {}", other.type_name()),
        )),
    }
}

impl FileRepository {
    /// A repository in `root` (created on the first write). Relative paths are made absolute.
    pub fn new(root: impl AsRef<Path>) -> Self {
        let root =
            std::path::absolute(root.as_ref()).unwrap_or_else(|_| root.as_ref().to_path_buf());
        clean_old_temps(&root.join(RESERVED).join("tmp"));
        FileRepository {
            root: Arc::new(root),
            locks: LockConfig::default(),
            fsync: true,
        }
    }

    /// Sets the lock timing (stale-lock recovery and maximum wait).
    pub fn with_locks(mut self, locks: LockConfig) -> Self {
        self.locks = locks;
        self
    }

    /// Turns fsync before publishing off (faster, not crash-safe). On by default.
    pub fn with_fsync(mut self, fsync: bool) -> Self {
        self.fsync = fsync;
        self
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The lock file of `key` (exposed for tests of stale-lock recovery).
    pub fn lock_path(&self, key: &Key) -> PathBuf {
        let name = Digest::md5(key.as_str().as_bytes()).hex();
        self.root.join(RESERVED).join("locks").join(name)
    }

    fn path(&self, key: &Key) -> Result<PathBuf> {
        if key.segments().next() == Some(RESERVED) {
            return Err(Error::invalid_path(
                key.to_string(),
                format!("'{RESERVED}' is reserved by the file backend"),
            ));
        }
        Ok(self.root.join(key.as_str()))
    }

    fn dir(&self, prefix: Option<&Key>) -> Result<PathBuf> {
        prefix.map_or_else(|| Ok(self.root.to_path_buf()), |p| self.path(p))
    }

    fn err(&self, key: &Key, e: io::Error) -> Error {
        let loc = Location::new(self, key);
        match e.kind() {
            io::ErrorKind::NotFound
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::IsADirectory => Error::NotFound(loc),
            io::ErrorKind::PermissionDenied => Error::PermissionDenied(loc, e.into()),
            io::ErrorKind::TimedOut | io::ErrorKind::Interrupted => {
                Error::Unavailable(loc, e.into())
            }
            _ => Error::Backend(loc, e.into()),
        }
    }

    fn new_temp(&self) -> io::Result<(TempFile, File)> {
        let dir = self.root.join(RESERVED).join("tmp");
        fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{:016x}.tmp", rand::random::<u64>()));
        let f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok((TempFile(Some(path)), f))
    }

    /// Checks `mode` against the current object and moves `tmp` into place, under the key's lock.
    fn publish(
        &self,
        tmp: TempFile,
        key: &Key,
        mode: &PutMode,
        digest: Option<Digest>,
    ) -> Result<ObjectMeta> {
        let target = self.path(key)?;
        let _lock =
            lock::acquire(&self.lock_path(key), self.locks).map_err(|e| self.err(key, e))?;
        let current = current_meta(&target).map_err(|e| self.err(key, e))?;
        match (mode, &current) {
            (PutMode::Create, Some(_)) => {
                return Err(Error::AlreadyExists(Location::new(self, key)))
            }
            (PutMode::Update(v), Some(m)) if &meta::version(m) != v => {
                return Err(Error::Precondition(
                    Location::new(self, key),
                    format!("version is not {v}"),
                ))
            }
            (PutMode::Update(v), None) => {
                return Err(Error::Precondition(
                    Location::new(self, key),
                    format!("no object (expected version {v})"),
                ))
            }
            _ => {}
        }
        let tmp_path = tmp.path().to_path_buf();
        let m = stamp_after(&tmp_path, current.as_ref()).map_err(|e| self.err(key, e))?;
        if let Some(d) = digest {
            meta::set_digest(&tmp_path, &m, &d);
        }
        self.move_into_place(&tmp_path, &target, key)?;
        tmp.disarm();
        let m = fs::metadata(&target).map_err(|e| self.err(key, e))?;
        Ok(meta::object_meta(key.clone(), &target, &m))
    }

    /// `rename` into place, creating parent folders (again, if a delete pruned them meanwhile).
    fn move_into_place(&self, from: &Path, target: &Path, key: &Key) -> Result<()> {
        let parent = target.parent().unwrap_or(&self.root);
        for attempt in 0.. {
            if let Err(e) = fs::create_dir_all(parent) {
                return Err(match e.kind() {
                    io::ErrorKind::AlreadyExists | io::ErrorKind::NotADirectory => Error::invalid_path(
                        key.to_string(),
                        "a parent of this key is an object; a folder cannot hold both 'a' and 'a/b'",
                    ),
                    _ => self.err(key, e),
                });
            }
            match fs::rename(from, target) {
                Ok(()) => break,
                Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < 20 => continue,
                Err(e) if e.kind() == io::ErrorKind::IsADirectory || target.is_dir() => {
                    return Err(Error::invalid_path(
                        key.to_string(),
                        "this key is a folder holding other objects",
                    ))
                }
                Err(e) => return Err(self.err(key, e)),
            }
        }
        if self.fsync {
            File::open(parent)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.err(key, e))?;
        }
        Ok(())
    }

    /// Removes the now-empty folders above `path`, up to the root.
    fn prune(&self, path: &Path) {
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d == self.root.as_path() || fs::remove_dir(d).is_err() {
                break;
            }
            dir = d.parent();
        }
    }

    fn write_all(&self, key: &Key, data: &[u8], mode: &PutMode) -> Result<ObjectMeta> {
        let (tmp, mut f) = self.new_temp().map_err(|e| self.err(key, e))?;
        f.write_all(data).map_err(|e| self.err(key, e))?;
        if self.fsync {
            f.sync_all().map_err(|e| self.err(key, e))?;
        }
        drop(f);
        self.publish(tmp, key, mode, Some(Digest::md5(data)))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(FileRepository) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(me))
            .await
            .map_err(|e| {
                Error::backend(Location::repo(self), format!("blocking task failed: {e}"))
            })?
    }
}

/// Metadata of the file at `path`, opened first so NFS revalidates its attributes.
fn current_meta(path: &Path) -> io::Result<Option<fs::Metadata>> {
    match File::open(path).and_then(|f| f.metadata()) {
        Ok(m) if m.is_file() => Ok(Some(m)),
        Ok(_) => Ok(None),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Sets `path`'s mtime to now, or strictly after `previous`'s, so versions always change.
fn stamp_after(path: &Path, previous: Option<&fs::Metadata>) -> io::Result<fs::Metadata> {
    let f = OpenOptions::new().write(true).open(path)?;
    let mut t = SystemTime::now();
    let prev = previous.map(meta::mtime_ns);
    if let Some(p) = previous.and_then(|m| m.modified().ok()) {
        t = t.max(p + Duration::from_micros(1));
    }
    // A file system with coarse timestamps rounds; step until the stamp really moves.
    for step in [
        Duration::ZERO,
        Duration::from_secs(1),
        Duration::from_secs(2),
    ] {
        f.set_modified(t + step)?;
        let m = f.metadata()?;
        if prev.is_none_or(|p| meta::mtime_ns(&m) > p) {
            return Ok(m);
        }
    }
    f.metadata()
}

fn clean_old_temps(dir: &Path) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .map(|t| t.elapsed().unwrap_or_default() > Duration::from_secs(3600));
        if old.unwrap_or(false) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// A temporary file removed on drop unless it was published.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

impl fmt::Debug for FileRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileRepository")
            .field("root", &self.root)
            .field("locks", &self.locks)
            .finish()
    }
}

impl fmt::Display for FileRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "file://{}", self.root.display())
    }
}

mod repo;
