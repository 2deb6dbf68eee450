//! Listings: a depth-first walk that yields keys in byte order (a folder sorts as
//! its name followed by `/`), skipping the internal folder.

use crate::names::{stored_path, unescape_segment, url_path, INTERNAL_DIR};
use crate::ops::{kind, map_err, version_of, Meta, Ops, Paths};
use crate::repo::{blocking, Inner};
use futures::StreamExt;
use harmony_repo::{Error, Key, ListStream, Listing, Location, ObjectMeta, Result, Version};
use pavao::{SmbDirentType, SmbError};
use std::io::ErrorKind;
use std::sync::Arc;

/// One child of a folder.
enum Entry {
    Object(ObjectMeta),
    /// A sub-folder: its key and stored path.
    Folder(Key, String),
}

impl Entry {
    fn sort_key(&self) -> String {
        match self {
            Entry::Object(m) => m.key.to_string(),
            Entry::Folder(k, _) => format!("{k}/"),
        }
    }
}

/// The children of a folder, sorted; a missing folder (or a file) has none.
fn read_folder(ops: &Ops<'_>, dir: Option<(&Key, &str)>) -> Result<Vec<Entry>, SmbError> {
    let path = dir.map_or("/".to_string(), |(_, s)| url_path(s));
    let entries = match ops.c.list_dirplus(&path) {
        Ok(e) => e,
        Err(e) => {
            // libsmbclient reports any failed opendir as a bad descriptor: ask stat why.
            return match ops.c.stat(&path) {
                Err(s)
                    if matches!(
                        kind(&s),
                        Some(ErrorKind::NotFound | ErrorKind::NotADirectory)
                    ) =>
                {
                    Ok(vec![])
                }
                Ok(st) if !st.mode.is_dir() => Ok(vec![]),
                Err(s) => Err(s),
                Ok(_) => Err(e),
            };
        }
    };
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        if dir.is_none() && e.name().eq_ignore_ascii_case(INTERNAL_DIR) {
            continue;
        }
        let Some(seg) = unescape_segment(e.name()) else {
            tracing::warn!(name = e.name(), "skipping a file name that is not UTF-8");
            continue;
        };
        let key = match dir {
            Some((k, _)) => k.join(&seg),
            None => Key::new(seg),
        };
        let Ok(key) = key else {
            tracing::warn!(
                name = e.name(),
                "skipping a file name that is not a valid key"
            );
            continue;
        };
        let stored = match dir {
            Some((_, s)) => format!("{s}/{}", e.name()),
            None => e.name().to_string(),
        };
        match e.get_type() {
            SmbDirentType::Dir => out.push(Entry::Folder(key, stored)),
            SmbDirentType::File => {
                let meta: Option<Meta> = ops.read_meta(&Paths::new(&stored))?;
                let valid = meta.filter(|m| m.matches(e.size, e.mtime));
                out.push(Entry::Object(ObjectMeta {
                    key,
                    size: e.size,
                    last_modified: Some(e.mtime),
                    version: Some(Version(version_of(valid.as_ref(), e.size, e.mtime))),
                    digest: valid.and_then(|m| m.md5),
                }));
            }
            _ => {}
        }
    }
    out.sort_by_key(|e| e.sort_key());
    Ok(out)
}

async fn folder(inner: &Arc<Inner>, dir: Option<(Key, String)>) -> Result<Vec<Entry>> {
    blocking(inner, move |i| {
        let d = dir.as_ref().map(|(k, s)| (k, s.as_str()));
        let loc = match &dir {
            Some((k, _)) => i.loc(k),
            None => Location::repo(&i.name),
        };
        read_folder(&i.ops(), d).map_err(|e| map_err(loc, e))
    })
    .await
}

fn start(prefix: Option<&Key>) -> Result<Option<(Key, String)>> {
    prefix.map(|p| Ok((p.clone(), stored_path(p)?))).transpose()
}

/// Every object below `prefix`, recursively, in key order (lazily, folder by folder).
pub(crate) fn list(inner: Arc<Inner>, prefix: Option<Key>) -> ListStream<'static> {
    let first = match start(prefix.as_ref()) {
        Ok(d) => d,
        Err(e) => return futures::stream::once(async move { Err(e) }).boxed(),
    };
    // Stack of pending entries, the next one last; `None` marks "read this folder".
    let stack: Vec<Result<Entry>> = vec![];
    let state = (inner, stack, Some(first));
    futures::stream::unfold(state, |(inner, mut stack, mut pending)| async move {
        loop {
            if let Some(dir) = pending.take() {
                match folder(&inner, dir).await {
                    Ok(children) => stack.extend(children.into_iter().rev().map(Ok)),
                    Err(e) => return Some((Err(e), (inner, vec![], None))),
                }
            }
            match stack.pop()? {
                Ok(Entry::Object(m)) => return Some((Ok(m), (inner, stack, None))),
                Ok(Entry::Folder(k, s)) => pending = Some(Some((k, s))),
                Err(e) => return Some((Err(e), (inner, stack, None))),
            }
        }
    })
    .boxed()
}

fn has_object(ops: &Ops<'_>, key: &Key, stored: &str) -> Result<bool, SmbError> {
    for e in read_folder(ops, Some((key, stored)))? {
        match e {
            Entry::Object(_) => return Ok(true),
            Entry::Folder(k, s) => {
                if has_object(ops, &k, &s)? {
                    return Ok(true);
                }
            }
        }
    }
    Ok(false)
}

/// The objects and non-empty sub-prefixes directly below `prefix`.
pub(crate) async fn list_with_delimiter(
    inner: &Arc<Inner>,
    prefix: Option<Key>,
) -> Result<Listing> {
    let dir = start(prefix.as_ref())?;
    blocking(inner, move |i| {
        let ops = i.ops();
        let loc = || match &dir {
            Some((k, _)) => i.loc(k),
            None => Location::repo(&i.name),
        };
        let d = dir.as_ref().map(|(k, s)| (k, s.as_str()));
        let mut out = Listing::default();
        for e in read_folder(&ops, d).map_err(|e| map_err(loc(), e))? {
            match e {
                Entry::Object(m) => out.objects.push(m),
                Entry::Folder(k, s) => {
                    if has_object(&ops, &k, &s).map_err(|e| map_err(loc(), e))? {
                        out.prefixes.push(k);
                    }
                }
            }
        }
        Ok::<_, Error>(out)
    })
    .await
}
