//! Version tokens and digests of files.
//!
//! The version is `<mtime ns>-<size>-<inode>` in hex. Every write through this backend
//! publishes a new file (a new inode) whose mtime is set strictly after the replaced
//! file's, so the token changes on every write even where inodes are reused.
//!
//! The MD5 is stored in the extended attribute `user.harmony.md5` as
//! `<hex md5> <mtime ns> <size>`, set on the temporary file before it is published. It
//! is trusted only while mtime and size still match, so a file edited in place by
//! another program simply has no digest. Where extended attributes are not supported,
//! no digest is reported.

use harmony_repo::{Digest, Key, ObjectMeta, Version};
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

const XATTR: &str = "user.harmony.md5";

pub fn mtime_ns(m: &Metadata) -> i128 {
    m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128
}

pub fn version(m: &Metadata) -> Version {
    Version(format!("{:x}-{:x}-{:x}", mtime_ns(m), m.len(), m.ino()))
}

fn stamp(m: &Metadata) -> String {
    format!("{} {}", mtime_ns(m), m.len())
}

/// Records `digest` for the file at `path`, whose metadata is `m`.
pub fn set_digest(path: &Path, m: &Metadata, digest: &Digest) {
    let hex = digest.hex();
    // Unsupported extended attributes only cost the digest, never the write.
    let _ = xattr::set(path, XATTR, format!("{hex} {}", stamp(m)).as_bytes());
}

/// The recorded digest, if still valid for `m`.
pub fn digest(path: &Path, m: &Metadata) -> Option<Digest> {
    let raw = xattr::get(path, XATTR).ok()??;
    let text = std::str::from_utf8(&raw).ok()?;
    let (hex, rest) = text.split_once(' ')?;
    (rest == stamp(m))
        .then(|| Digest::md5_from_hex(hex))
        .flatten()
}

pub fn object_meta(key: Key, path: &Path, m: &Metadata) -> ObjectMeta {
    let secs = Duration::new(m.mtime().max(0) as u64, m.mtime_nsec() as u32);
    ObjectMeta {
        key,
        size: m.len(),
        last_modified: Some(UNIX_EPOCH + secs),
        version: Some(version(m)),
        digest: digest(path, m),
    }
}
