//! Reads, atomic writes and deletes. Each runs in one blocking closure that opens,
//! uses and closes its SMB files; bodies cross to async code through bounded channels.

use crate::names::stored_path;
use crate::ops::{
    is_kind, kind, map_err, new_version, secs, tmp_path, version_of, Lock, LockError, Meta, Ops,
    Paths, SmbResult,
};
use crate::repo::{blocking, Inner};
use bytes::Bytes;
use futures::StreamExt;
use harmony_repo::{
    clamp_range, ByteStream, Digest, Error, GetResult, Key, Location, Md5Hasher, ObjectMeta,
    PutMode, Result, Version,
};
use pavao::{SmbFile, SmbStat};
use std::io::{ErrorKind, Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

const CHUNK: usize = 1 << 20;

fn not_found_kind(e: &pavao::SmbError) -> bool {
    matches!(
        kind(e),
        Some(ErrorKind::NotFound | ErrorKind::NotADirectory)
    )
}

fn object_meta(key: &Key, st: &SmbStat, meta: Option<&Meta>) -> ObjectMeta {
    let valid = meta.filter(|m| m.matches(st.size, st.modified));
    ObjectMeta {
        key: key.clone(),
        size: st.size,
        last_modified: Some(st.modified),
        version: Some(Version(version_of(valid, st.size, st.modified))),
        digest: valid.and_then(|m| m.md5),
    }
}

/// Opens the current object for reading, with the metadata that describes it.
/// While a writer holds the key's lock and the object or its metadata is missing
/// (mid-replace), waits and retries. `None`: no such object.
fn open_current<'a>(
    ops: &Ops<'a>,
    p: &Paths,
) -> SmbResult<Option<(SmbFile<'a>, SmbStat, Option<Meta>)>> {
    let since = Instant::now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let f = match ops.open_read(&p.data) {
            Ok(f) => f,
            Err(e) if not_found_kind(&e) => {
                if ops.wait_for_writer(p, since, attempt)? {
                    continue;
                }
                return Ok(None);
            }
            Err(e)
                if is_kind(&e, ErrorKind::ResourceBusy) && since.elapsed() < ops.t.wait_timeout =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
                continue;
            }
            Err(e) => return Err(e),
        };
        let st = ops.c.stat(&p.data)?;
        if st.mode.is_dir() {
            return Ok(None);
        }
        let meta = ops.read_meta(p)?;
        let valid = meta
            .as_ref()
            .is_some_and(|m| m.matches(st.size, st.modified));
        if !valid {
            drop(f);
            if ops.wait_for_writer(p, since, attempt)? {
                continue;
            }
            // A file written by another SMB client (or a writer that crashed).
            let f = ops.open_read(&p.data)?;
            let st = ops.c.stat(&p.data)?;
            return Ok(Some((f, st, None)));
        }
        return Ok(Some((f, st, meta)));
    }
}

pub(crate) async fn head(inner: &Arc<Inner>, key: &Key) -> Result<ObjectMeta> {
    let p = Paths::new(&stored_path(key)?);
    let key = key.clone();
    blocking(inner, move |i| {
        match open_current(&i.ops(), &p).map_err(|e| map_err(i.loc(&key), e))? {
            Some((_f, st, meta)) => Ok(object_meta(&key, &st, meta.as_ref())),
            None => Err(Error::NotFound(i.loc(&key))),
        }
    })
    .await
}

fn read_full(f: &mut SmbFile<'_>, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

type Opened = Result<(ObjectMeta, Range<u64>)>;

pub(crate) async fn get(
    inner: &Arc<Inner>,
    key: &Key,
    range: Option<Range<u64>>,
) -> Result<GetResult> {
    let p = Paths::new(&stored_path(key)?);
    let (meta_tx, meta_rx) = oneshot::channel::<Opened>();
    let (tx, rx) = mpsc::channel::<Result<Bytes>>(2);
    let (key2, inner2) = (key.clone(), inner.clone());
    tokio::task::spawn_blocking(move || {
        let i = &inner2;
        let ops = i.ops();
        let loc = || i.loc(&key2);
        let (mut f, st, meta) = match open_current(&ops, &p) {
            Ok(Some(x)) => x,
            Ok(None) => return meta_tx.send(Err(Error::NotFound(loc()))).ok(),
            Err(e) => return meta_tx.send(Err(map_err(loc(), e))).ok(),
        };
        let om = object_meta(&key2, &st, meta.as_ref());
        let r = match clamp_range(loc, range, st.size) {
            Ok(r) => r,
            Err(e) => return meta_tx.send(Err(e)).ok(),
        };
        if r.start > 0 {
            if let Err(e) = f.seek(SeekFrom::Start(r.start)) {
                return meta_tx.send(Err(map_err(loc(), e.into()))).ok();
            }
        }
        meta_tx.send(Ok((om, r.clone()))).ok()?;
        let mut left = r.end - r.start;
        while left > 0 {
            let mut buf = vec![0u8; (left as usize).min(CHUNK)];
            let item = match read_full(&mut f, &mut buf) {
                Ok(n) if n == buf.len() => {
                    left -= n as u64;
                    Ok(Bytes::from(buf))
                }
                Ok(n) => {
                    left = 0;
                    Err(Error::backend(
                        loc(),
                        format!("object ended {} bytes early", buf.len() - n),
                    ))
                }
                Err(e) => {
                    left = 0;
                    Err(map_err(loc(), e.into()))
                }
            };
            tx.blocking_send(item).ok()?;
        }
        drop(f);
        Some(())
    });
    let (meta, range) = meta_rx
        .await
        .map_err(|_| Error::backend(inner.loc(key), "reader task ended"))??;
    let body = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed();
    Ok(GetResult { meta, range, body })
}

enum Chunk {
    Data(Bytes),
    /// The end of the body, with its MD5 (hashed on the async side, overlapping the writes).
    End(Digest),
    Fail(Error),
}

/// Writes a stream atomically: into a temporary file, then renamed into place
/// under the key's lock, after the mode's check.
pub(crate) async fn put(
    inner: &Arc<Inner>,
    key: &Key,
    mut body: ByteStream,
    mode: PutMode,
) -> Result<ObjectMeta> {
    let p = Paths::new(&stored_path(key)?);
    let (tx, mut rx) = mpsc::channel::<Chunk>(4);
    let (key2, inner2) = (key.clone(), inner.clone());
    let task = tokio::task::spawn_blocking(move || -> Result<ObjectMeta> {
        let i = &inner2;
        let ops = i.ops();
        let loc = || i.loc(&key2);
        let err = |e: pavao::SmbError| map_err(loc(), e);
        if mode == PutMode::Create && ops.exists(&p.data).map_err(err)? {
            return Err(Error::AlreadyExists(loc()));
        }
        let tmp = tmp_path();
        let mut f = match ops.create(&tmp, true) {
            Err(e) if is_kind(&e, ErrorKind::NotFound) => {
                ops.mkdirs(tmp.rsplit_once('/').map_or("/", |x| x.0))
                    .map_err(err)?;
                ops.create(&tmp, true).map_err(err)?
            }
            r => r.map_err(err)?,
        };
        let outcome = loop {
            match rx.blocking_recv() {
                Some(Chunk::Data(b)) => {
                    if let Err(e) = Ops::write_all(&mut f, &b) {
                        break Err(map_err(loc(), e.into()));
                    }
                }
                Some(Chunk::End(md5)) => break Ok(md5),
                Some(Chunk::Fail(e)) => break Err(e),
                None => break Err(Error::backend(loc(), "the put was cancelled")),
            }
        };
        drop(f);
        let r = outcome.and_then(|md5| commit(&ops, &p, &tmp, &mode, md5, &loc));
        if r.is_err() {
            let _ = ops.remove(&tmp);
        }
        r.map(|m| ObjectMeta {
            key: key2.clone(),
            size: m.size,
            last_modified: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(m.mtime)),
            version: Some(Version(m.version)),
            digest: m.md5,
        })
    });
    let mut md5 = Md5Hasher::default();
    loop {
        let msg = match body.next().await {
            Some(Ok(b)) => {
                md5.update(&b);
                Chunk::Data(b)
            }
            Some(Err(e)) => Chunk::Fail(e),
            None => Chunk::End(std::mem::take(&mut md5).finish()),
        };
        let last = !matches!(msg, Chunk::Data(_));
        if tx.send(msg).await.is_err() || last {
            break;
        }
    }
    drop(tx);
    task.await.map_err(|e| Error::backend(inner.loc(key), e))?
}

fn lock_err(loc: Location, e: LockError) -> Error {
    match e {
        LockError::Timeout => Error::Unavailable(
            loc,
            "timed out waiting for the key's lock (another writer holds it)".into(),
        ),
        LockError::Smb(e) => map_err(loc, e),
    }
}

fn commit(
    ops: &Ops<'_>,
    p: &Paths,
    tmp: &str,
    mode: &PutMode,
    md5: Digest,
    loc: &dyn Fn() -> Location,
) -> Result<Meta> {
    let mut lock = Lock::acquire(ops, p).map_err(|e| lock_err(loc(), e))?;
    let r = commit_locked(ops, p, tmp, mode, md5, &mut lock, loc);
    let released = lock.release(ops);
    let meta = r?;
    released.map_err(|e| map_err(loc(), e))?;
    Ok(meta)
}

fn commit_locked(
    ops: &Ops<'_>,
    p: &Paths,
    tmp: &str,
    mode: &PutMode,
    md5: Digest,
    lock: &mut Lock,
    loc: &dyn Fn() -> Location,
) -> Result<Meta> {
    let err = |e: pavao::SmbError| map_err(loc(), e);
    let cur = match ops.stat(&p.data) {
        Err(e) if is_kind(&e, ErrorKind::NotADirectory) => None,
        r => r.map_err(err)?,
    };
    if cur.as_ref().is_some_and(|s| s.mode.is_dir()) {
        return Err(Error::backend(
            loc(),
            "a folder of this name exists (on SMB a key cannot be both an object and a prefix)",
        ));
    }
    match (mode, &cur) {
        (PutMode::Create, Some(_)) => return Err(Error::AlreadyExists(loc())),
        (PutMode::Update(v), None) => {
            return Err(Error::Precondition(
                loc(),
                format!("no object (expected version {v})"),
            ))
        }
        (PutMode::Update(v), Some(st)) => {
            let m = ops.read_meta(p).map_err(err)?;
            let now = version_of(m.as_ref(), st.size, st.modified);
            if now != v.0 {
                return Err(Error::Precondition(loc(), format!("version is not {v}")));
            }
        }
        _ => {}
    }
    // Readers that find the metadata gone while we hold the lock wait for us.
    ops.remove(&p.meta).map_err(err)?;
    let parent = p.data.rsplit_once('/').map_or("/", |x| x.0).to_string();
    let mut made_dirs = false;
    loop {
        match ops.retry_busy(lock, || ops.c.rename(tmp, &p.data)) {
            Err(e) if is_kind(&e, ErrorKind::NotFound) && !made_dirs => {
                ops.mkdirs(&parent).map_err(err)?;
                made_dirs = true;
            }
            Err(e) if is_kind(&e, ErrorKind::NotFound) => {
                // A concurrent delete removed the emptied folder again: retry.
                ops.mkdirs(&parent).map_err(err)?;
            }
            r => break r.map_err(err)?,
        }
    }
    let st = ops.c.stat(&p.data).map_err(err)?;
    let meta = Meta {
        version: new_version(),
        size: st.size,
        mtime: secs(st.modified),
        md5: Some(md5),
    };
    ops.write_meta(p, &meta).map_err(err)?;
    Ok(meta)
}

pub(crate) async fn delete(inner: &Arc<Inner>, key: &Key) -> Result<()> {
    let p = Paths::new(&stored_path(key)?);
    let key = key.clone();
    blocking(inner, move |i| {
        let ops = i.ops();
        let err = |e: pavao::SmbError| map_err(i.loc(&key), e);
        match ops.stat(&p.data) {
            Ok(Some(st)) if !st.mode.is_dir() => {}
            Ok(_) => return Ok(()),
            Err(e) if not_found_kind(&e) => return Ok(()),
            Err(e) => return Err(err(e)),
        }
        let mut lock = Lock::acquire(&ops, &p).map_err(|e| lock_err(i.loc(&key), e))?;
        let r = (|| {
            ops.remove(&p.meta)?;
            ops.retry_busy(&mut lock, || ops.remove(&p.data))?;
            ops.rmdirs_above(&p.data);
            Ok(())
        })();
        let released = lock.release(&ops);
        r.map_err(err)?;
        released.map_err(err)
    })
    .await
}
