//! Listings: folders read one at a time, entries emitted in the byte order of their
//! keys (a folder sorts as its name followed by `/`), so the result matches an object
//! store's listing exactly.

use crate::meta::object_meta;
use harmony_repo::{Key, ObjectMeta};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub enum Entry {
    File(Key, PathBuf, fs::Metadata),
    Dir(Key, PathBuf),
}

impl Entry {
    fn sort_key(&self) -> String {
        match self {
            Entry::File(k, ..) => k.to_string(),
            Entry::Dir(k, _) => format!("{k}/"),
        }
    }
}

/// The entries of one folder, sorted; names that are not valid keys and the `hidden`
/// top-level name are skipped.
pub fn read_dir(dir: &Path, prefix: Option<&Key>, hidden: &str) -> io::Result<Vec<Entry>> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e)
            if e.kind() == io::ErrorKind::NotFound || e.kind() == io::ErrorKind::NotADirectory =>
        {
            return Ok(vec![])
        }
        Err(e) => return Err(e),
    };
    let mut out = vec![];
    for ent in rd {
        let ent = ent?;
        let Some(name) = ent.file_name().to_str().map(str::to_string) else {
            tracing::warn!(path = %ent.path().display(), "skipping a file whose name is not UTF-8");
            continue;
        };
        if prefix.is_none() && name == hidden {
            continue;
        }
        let key = match Key::join_opt(
            prefix,
            &match Key::new(name) {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!(path = %ent.path().display(), "skipping a file that is not a valid key: {e}");
                    continue;
                }
            },
        ) {
            Ok(k) => k,
            Err(_) => continue,
        };
        // Follow symbolic links; a dangling one is skipped.
        let Ok(m) = fs::metadata(ent.path()) else {
            continue;
        };
        if m.is_dir() {
            out.push(Entry::Dir(key, ent.path()));
        } else if m.is_file() {
            out.push(Entry::File(key, ent.path(), m));
        }
    }
    out.sort_by_cached_key(Entry::sort_key);
    Ok(out)
}

/// A depth-first walk in key order, one folder read per step.
pub struct Walk {
    root: Option<PathBuf>,
    stack: Vec<Entry>,
    hidden: &'static str,
}

impl Walk {
    /// Walks `dir`, whose key is `prefix` (`None` for the repository's root).
    pub fn new(dir: PathBuf, prefix: Option<Key>, hidden: &'static str) -> Walk {
        match prefix {
            Some(p) => Walk {
                root: None,
                stack: vec![Entry::Dir(p, dir)],
                hidden,
            },
            None => Walk {
                root: Some(dir),
                stack: vec![],
                hidden,
            },
        }
    }

    /// The next batch of up to `max` objects (empty at the end).
    pub fn next_batch(&mut self, max: usize) -> io::Result<Vec<ObjectMeta>> {
        if let Some(root) = self.root.take() {
            self.stack = read_dir(&root, None, self.hidden)?;
            self.stack.reverse();
        }
        let mut out = vec![];
        while out.len() < max {
            match self.stack.pop() {
                None => break,
                Some(Entry::File(k, p, m)) => out.push(object_meta(k, &p, &m)),
                Some(Entry::Dir(k, p)) => {
                    let mut v = read_dir(&p, Some(&k), self.hidden)?;
                    v.reverse();
                    self.stack.extend(v);
                }
            }
        }
        Ok(out)
    }
}

/// True if the folder holds at least one file, at any depth.
pub fn has_file(dir: &Path, prefix: &Key) -> io::Result<bool> {
    for e in read_dir(dir, Some(prefix), "")? {
        match e {
            Entry::File(..) => return Ok(true),
            Entry::Dir(k, p) => {
                if has_file(&p, &k)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}
