//! Per-key locks that work between processes and between machines sharing a folder:
//! a lock is a file created with `O_CREAT|O_EXCL` (atomic on local file systems and on
//! NFSv3+). A lock older than `stale_after` belongs to a crashed writer and is broken,
//! under a second exclusive "breaker" file so two breakers never both succeed.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Timing of the per-key locks.
#[derive(Clone, Copy, Debug)]
pub struct LockConfig {
    /// A lock older than this is taken to be left by a crashed writer and broken.
    pub stale_after: Duration,
    /// How long to wait for a lock before giving up with `Unavailable`.
    pub max_wait: Duration,
}

impl Default for LockConfig {
    fn default() -> Self {
        LockConfig {
            stale_after: Duration::from_secs(30),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// A held lock; released (its file removed) on drop.
#[derive(Debug)]
pub struct LockGuard {
    path: PathBuf,
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

fn age(path: &Path) -> io::Result<Duration> {
    let m = fs::metadata(path)?.modified()?;
    Ok(SystemTime::now().duration_since(m).unwrap_or_default())
}

fn create_exclusive(path: &Path, owner: &str) -> io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(owner.as_bytes())
}

/// Takes the lock file `path`, waiting while another holder has it.
pub fn acquire(path: &Path, cfg: LockConfig) -> io::Result<LockGuard> {
    let owner = format!("pid={} host={}\n", std::process::id(), hostname());
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        match create_exclusive(path, &owner) {
            Ok(()) => {
                return Ok(LockGuard {
                    path: path.to_path_buf(),
                })
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir)?;
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        if matches!(age(path), Ok(a) if a > cfg.stale_after) {
            break_stale(path, cfg)?;
            continue;
        }
        if start.elapsed() > cfg.max_wait {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "lock {} held for longer than {:?}",
                    path.display(),
                    cfg.max_wait
                ),
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Removes a stale lock, re-checking its age while holding the breaker file.
fn break_stale(path: &Path, cfg: LockConfig) -> io::Result<()> {
    let mut breaker = path.as_os_str().to_owned();
    breaker.push(".break");
    let breaker = PathBuf::from(breaker);
    match create_exclusive(&breaker, "breaker\n") {
        Ok(()) => {
            if matches!(age(path), Ok(a) if a > cfg.stale_after) {
                tracing::warn!(lock = %path.display(), "breaking a stale lock left by a crashed writer");
                let _ = fs::remove_file(path);
            }
            let _ = fs::remove_file(&breaker);
        }
        // Someone else is breaking it; a breaker is held for microseconds, so one
        // older than the stale time is itself left by a crash.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if matches!(age(&breaker), Ok(a) if a > cfg.stale_after) {
                let _ = fs::remove_file(&breaker);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        Err(e) => return Err(e),
    }
    Ok(())
}

fn hostname() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
