//! The sync-state record: what the last sync saw of each key on both sides.
//!
//! If neither side's version token changed since then, the key is still in sync, and
//! no object needs to be read. Version tokens change on every write (a conformance
//! rule), so this never trusts a timestamp. One line per key, tab-separated:
//! `key size source-version destination-version md5-hex`; keys never contain tabs or
//! newlines (they are control characters, refused by [`Key`](crate::Key)).

use crate::{Digest, Version};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What was true of one key after it was last synced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Size in bytes.
    pub size: u64,
    /// The source's version then.
    pub src: Version,
    /// The destination's version then.
    pub dst: Version,
    /// The content digest.
    pub digest: Digest,
}

/// The record of one source/destination pair, kept in a local file.
#[derive(Debug, Default)]
pub struct SyncState {
    path: Option<PathBuf>,
    /// Entries by key.
    pub entries: HashMap<String, Entry>,
}

impl SyncState {
    /// Loads the record at `path` (empty if missing or unreadable: it is only a cache).
    pub fn load(path: &Path) -> SyncState {
        let mut entries = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(path) {
            for line in text.lines() {
                let f: Vec<&str> = line.split('\t').collect();
                if let [key, size, src, dst, md5] = f[..] {
                    if let (Ok(size), Some(digest)) = (size.parse(), Digest::md5_from_hex(md5)) {
                        let e = Entry {
                            size,
                            src: Version(src.into()),
                            dst: Version(dst.into()),
                            digest,
                        };
                        entries.insert(key.to_string(), e);
                    }
                }
            }
        }
        SyncState {
            path: Some(path.to_path_buf()),
            entries,
        }
    }

    /// Writes the record back (atomically: temporary file, then rename).
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        for (k, e) in &self.entries {
            writeln!(
                f,
                "{k}\t{}\t{}\t{}\t{}",
                e.size,
                e.src,
                e.dst,
                e.digest.hex()
            )?;
        }
        f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(tmp, path)
    }

    /// The default location for a pair: `$XDG_CACHE_HOME/harmony-repo/sync/<hash>.tsv`
    /// (else `~/.cache/...`), named by both repositories' display forms (never secrets).
    pub fn default_path(src: &str, dst: &str) -> PathBuf {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        let name = Digest::md5(format!("{src}\n{dst}").as_bytes()).hex();
        base.join("harmony-repo")
            .join("sync")
            .join(format!("{name}.tsv"))
    }
}
