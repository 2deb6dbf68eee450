//! Blocking helpers over one libsmbclient context. Everything here runs inside a
//! `spawn_blocking` closure: an `SmbFile` is opened, used and closed on one thread.

use crate::names::{url_path, INTERNAL_DIR};
use harmony_repo::{Digest, Error, Location};
use pavao::{SmbClient, SmbError, SmbFile, SmbMode, SmbOpenOptions, SmbStat};
use std::io::{self, ErrorKind, Read, Write};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub(crate) type SmbResult<T> = Result<T, SmbError>;

/// The `io::ErrorKind` of an error, if it has one.
pub(crate) fn kind(e: &SmbError) -> Option<ErrorKind> {
    match e {
        SmbError::Io(io) => Some(io.kind()),
        _ => None,
    }
}

pub(crate) fn is_kind(e: &SmbError, k: ErrorKind) -> bool {
    kind(e) == Some(k)
}

/// Maps a libsmbclient error to the uniform error kinds.
pub(crate) fn map_err(loc: Location, e: SmbError) -> Error {
    use ErrorKind::*;
    let k = kind(&e);
    let raw = match &e {
        SmbError::Io(io) => io.raw_os_error(),
        _ => None,
    };
    match k {
        Some(NotFound) => Error::NotFound(loc),
        Some(AlreadyExists) => Error::AlreadyExists(loc),
        Some(PermissionDenied) => Error::PermissionDenied(loc, Box::new(e)),
        Some(
            ConnectionRefused | ConnectionReset | ConnectionAborted | NotConnected | TimedOut
            | BrokenPipe | ResourceBusy | Interrupted | WouldBlock | HostUnreachable
            | NetworkUnreachable | NetworkDown,
        ) => Error::Unavailable(loc, Box::new(e)),
        _ if matches!(raw, Some(libc_errno::EAGAIN | libc_errno::ETIMEDOUT)) => {
            Error::Unavailable(loc, Box::new(e))
        }
        _ => Error::Backend(loc, Box::new(e)),
    }
}

mod libc_errno {
    pub const EAGAIN: i32 = 11;
    pub const ETIMEDOUT: i32 = 110;
}

/// Version metadata kept for every object the library writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub version: String,
    pub size: u64,
    pub mtime: u64,
    pub md5: Option<Digest>,
}

impl Meta {
    fn encode(&self) -> String {
        let md5 = self
            .md5
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into());
        format!(
            "hsmb1 {} {} {} {}\n",
            self.version, self.size, self.mtime, md5
        )
    }

    fn decode(text: &[u8]) -> Option<Meta> {
        let text = std::str::from_utf8(text).ok()?;
        let mut it = text.split_whitespace();
        (it.next()? == "hsmb1").then_some(())?;
        let version = it.next()?.to_string();
        let size = it.next()?.parse().ok()?;
        let mtime = it.next()?.parse().ok()?;
        let md5 = it
            .next()?
            .strip_prefix("md5:")
            .and_then(Digest::md5_from_hex);
        Some(Meta {
            version,
            size,
            mtime,
            md5,
        })
    }

    /// True when this metadata describes a file with this size and mtime.
    pub fn matches(&self, size: u64, mtime: SystemTime) -> bool {
        self.size == size && self.mtime == secs(mtime)
    }
}

pub(crate) fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The version token of a file: its metadata's, or one made from size and mtime for a
/// file written by another SMB client.
pub(crate) fn version_of(meta: Option<&Meta>, size: u64, mtime: SystemTime) -> String {
    match meta {
        Some(m) if m.matches(size, mtime) => m.version.clone(),
        _ => format!("f{}-{}", secs(mtime), size),
    }
}

/// A fresh, unique version id (128 random bits).
pub(crate) fn new_version() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn hash(stored: &str) -> String {
    Digest::md5(stored.to_lowercase().as_bytes()).hex()
}

/// Internal paths of one stored key (already `/`-rooted and URL-safe).
pub(crate) struct Paths {
    pub data: String,
    pub meta: String,
    pub meta_dir: String,
    pub lock: String,
}

impl Paths {
    pub fn new(stored: &str) -> Paths {
        let h = hash(stored);
        Paths {
            data: url_path(stored),
            meta: format!("/{INTERNAL_DIR}/meta/{}/{h}", &h[..2]),
            meta_dir: format!("/{INTERNAL_DIR}/meta/{}", &h[..2]),
            lock: format!("/{INTERNAL_DIR}/locks/{h}"),
        }
    }
}

/// A fresh temporary file path.
pub(crate) fn tmp_path() -> String {
    format!("/{INTERNAL_DIR}/tmp/{}", new_version())
}

/// Settings of the locking and waiting protocol.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tuning {
    pub stale_after: Duration,
    pub wait_timeout: Duration,
}

/// Blocking operations on one client.
pub(crate) struct Ops<'a> {
    pub c: &'a SmbClient,
    pub t: Tuning,
}

const IO_CHUNK: usize = 1 << 20;

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((2u64 << attempt.min(5)).min(50))
}

impl<'a> Ops<'a> {
    pub fn open_read(&self, path: &str) -> SmbResult<SmbFile<'a>> {
        self.c.open_with(path, SmbOpenOptions::default().read(true))
    }

    pub fn create(&self, path: &str, exclusive: bool) -> SmbResult<SmbFile<'a>> {
        let o = SmbOpenOptions::default()
            .write(true)
            .create(true)
            .truncate(true)
            .exclusive(exclusive);
        self.c.open_with(path, o)
    }

    /// A whole small file, or `None` if it does not exist.
    pub fn read_small(&self, path: &str) -> SmbResult<Option<Vec<u8>>> {
        match self.open_read(path) {
            Ok(mut f) => {
                let mut buf = Vec::new();
                f.read_to_end(&mut buf)?;
                Ok(Some(buf))
            }
            Err(e) if is_kind(&e, ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn write_all(f: &mut SmbFile<'_>, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = f.write(&data[..data.len().min(IO_CHUNK)])?;
            if n == 0 {
                return Err(io::Error::new(
                    ErrorKind::WriteZero,
                    "SMB write wrote nothing",
                ));
            }
            data = &data[n..];
        }
        Ok(())
    }

    /// Writes a small file, creating the parent folder if it is missing.
    pub fn write_small(&self, path: &str, dir: &str, data: &[u8]) -> SmbResult<()> {
        let mut f = match self.create(path, false) {
            Err(e) if is_kind(&e, ErrorKind::NotFound) => {
                self.mkdirs(dir)?;
                self.create(path, false)?
            }
            r => r?,
        };
        Ok(Self::write_all(&mut f, data)?)
    }

    pub fn stat(&self, path: &str) -> SmbResult<Option<SmbStat>> {
        match self.c.stat(path) {
            Ok(s) => Ok(Some(s)),
            Err(e) if is_kind(&e, ErrorKind::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn exists(&self, path: &str) -> SmbResult<bool> {
        Ok(self.stat(path)?.is_some())
    }

    /// Creates a `/`-rooted folder and its parents (existing ones are fine).
    pub fn mkdirs(&self, dir: &str) -> SmbResult<()> {
        let mut cur = String::new();
        for seg in dir.split('/').filter(|s| !s.is_empty()) {
            cur.push('/');
            cur.push_str(seg);
            match self.c.mkdir(&cur, SmbMode::from(0o755)) {
                Err(e) if !is_kind(&e, ErrorKind::AlreadyExists) => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    /// Removes the empty folders above a data path, deepest first.
    pub fn rmdirs_above(&self, data: &str) {
        let mut cur = data.to_string();
        while let Some((parent, _)) = cur.rsplit_once('/') {
            if parent.is_empty() || self.c.rmdir(parent).is_err() {
                break;
            }
            cur = parent.to_string();
        }
    }

    pub fn read_meta(&self, p: &Paths) -> SmbResult<Option<Meta>> {
        Ok(self.read_small(&p.meta)?.and_then(|b| Meta::decode(&b)))
    }

    pub fn write_meta(&self, p: &Paths, m: &Meta) -> SmbResult<()> {
        self.write_small(&p.meta, &p.meta_dir, m.encode().as_bytes())
    }

    /// Deletes a file; a missing one is fine. Retries while another client's
    /// handle (a reader, or a `stat`, which opens the file too) makes it busy.
    pub fn remove(&self, path: &str) -> SmbResult<()> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            match self.c.unlink(path) {
                Err(e) if is_kind(&e, ErrorKind::NotFound) => return Ok(()),
                Err(e)
                    if is_kind(&e, ErrorKind::ResourceBusy)
                        && start.elapsed() < self.t.wait_timeout =>
                {
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    /// Runs `op` until it stops failing with a retryable "busy" error (an open
    /// handle of a reader blocks deletes and renames on SMB), beating the lock.
    pub fn retry_busy<T>(
        &self,
        lock: &mut Lock,
        mut op: impl FnMut() -> SmbResult<T>,
    ) -> SmbResult<T> {
        let start = Instant::now();
        let mut attempt = 0;
        loop {
            match op() {
                Err(e)
                    if matches!(
                        kind(&e),
                        Some(ErrorKind::ResourceBusy | ErrorKind::AlreadyExists)
                    ) && start.elapsed() < self.t.wait_timeout =>
                {
                    lock.beat(self)?;
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                r => return r,
            }
        }
    }

    /// Waits while a writer holds the key's lock (for at most the stale time).
    /// Returns false when the wait is over (no lock, or it went stale).
    pub fn wait_for_writer(&self, p: &Paths, since: Instant, attempt: u32) -> SmbResult<bool> {
        if since.elapsed() > self.t.stale_after || !self.exists(&p.lock)? {
            return Ok(false);
        }
        std::thread::sleep(backoff(attempt));
        Ok(true)
    }
}

/// A held per-key lock: a file created with an exclusive (create-only) open.
pub(crate) struct Lock {
    path: String,
    token: String,
    beats: u64,
    last_beat: Instant,
}

impl Lock {
    fn content(&self) -> String {
        format!("{} {}\n", self.token, self.beats)
    }

    /// Takes the lock, waiting for the holder; a lock whose content did not change
    /// for `stale_after` (its holder crashed) is broken.
    pub fn acquire(ops: &Ops<'_>, p: &Paths) -> Result<Lock, LockError> {
        let lock = Lock {
            path: p.lock.clone(),
            token: new_version(),
            beats: 0,
            last_beat: Instant::now(),
        };
        let start = Instant::now();
        let mut seen: Option<(Vec<u8>, Instant)> = None;
        let mut attempt = 0;
        loop {
            match ops.create(&lock.path, true) {
                Ok(mut f) => {
                    Ops::write_all(&mut f, lock.content().as_bytes())?;
                    return Ok(lock);
                }
                Err(e) if is_kind(&e, ErrorKind::NotFound) => {
                    ops.mkdirs(&format!("/{INTERNAL_DIR}/locks"))?;
                    continue;
                }
                Err(e) if is_kind(&e, ErrorKind::AlreadyExists) => {}
                Err(e) if is_kind(&e, ErrorKind::ResourceBusy) => {}
                Err(e) => return Err(e.into()),
            }
            // Look at the holder's content now and then (reading it briefly blocks
            // the holder's release, which retries).
            let look = seen
                .as_ref()
                .is_none_or(|(_, t)| t.elapsed() >= ops.t.stale_after);
            let content = match look.then(|| ops.read_small(&lock.path)) {
                Some(Err(e)) if is_kind(&e, ErrorKind::ResourceBusy) => None,
                Some(r) => r?,
                None => None,
            };
            if let Some(now) = content {
                match &seen {
                    Some((c, t)) if *c == now => {
                        if t.elapsed() >= ops.t.stale_after {
                            Self::break_stale(ops, &lock.path)?;
                            seen = None;
                            continue;
                        }
                    }
                    _ => seen = Some((now, Instant::now())),
                }
            }
            if start.elapsed() > ops.t.wait_timeout {
                return Err(LockError::Timeout);
            }
            std::thread::sleep(backoff(attempt));
            attempt += 1;
        }
    }

    fn break_stale(ops: &Ops<'_>, path: &str) -> SmbResult<()> {
        tracing::warn!(
            lock = path,
            "breaking a stale SMB lock left by a crashed writer"
        );
        let aside = format!("{path}.stale-{}", new_version());
        match ops.c.rename(path, &aside) {
            Ok(()) => ops.remove(&aside),
            Err(e) if is_kind(&e, ErrorKind::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Shows the lock is alive (rewrites it) if the last beat is a while ago.
    pub fn beat(&mut self, ops: &Ops<'_>) -> SmbResult<()> {
        if self.last_beat.elapsed() < ops.t.stale_after / 4 {
            return Ok(());
        }
        self.beats += 1;
        self.last_beat = Instant::now();
        let o = SmbOpenOptions::default().write(true).truncate(true);
        let mut f = ops.c.open_with(&self.path, o)?;
        Ok(Ops::write_all(&mut f, self.content().as_bytes())?)
    }

    pub fn release(self, ops: &Ops<'_>) -> SmbResult<()> {
        ops.remove(&self.path)
    }
}

/// Why a lock could not be taken.
pub(crate) enum LockError {
    Timeout,
    Smb(SmbError),
}

impl From<SmbError> for LockError {
    fn from(e: SmbError) -> Self {
        LockError::Smb(e)
    }
}

impl From<io::Error> for LockError {
    fn from(e: io::Error) -> Self {
        LockError::Smb(SmbError::Io(e))
    }
}
