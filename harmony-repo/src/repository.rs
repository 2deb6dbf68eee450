//! The `Repository` trait and the values its operations take and return.

use crate::error::Result;
use crate::key::Key;
use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

/// A stream of byte chunks: the body of a streamed get or put.
pub type ByteStream = BoxStream<'static, Result<Bytes>>;

/// A stream of object metadata: a recursive listing.
pub type ListStream<'a> = BoxStream<'a, Result<ObjectMeta>>;

/// An opaque token that changes on every write of a key.
///
/// Compare tokens only for equality, and only between reads of the same repository.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Version(pub String);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A content digest, where the backend has one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Digest {
    /// MD5 of the whole content (S3 single-part ETag, GCS `md5Hash`, Azure `Content-MD5`,
    /// and what `file`, `memory` and `smb` record).
    Md5([u8; 16]),
}

impl Digest {
    /// The MD5 of `data`.
    ///
    /// ```
    /// use harmony_repo::Digest;
    /// assert_eq!(Digest::md5(b"").to_string(), "md5:d41d8cd98f00b204e9800998ecf8427e");
    /// ```
    pub fn md5(data: &[u8]) -> Digest {
        use md5::Digest as _;
        Digest::Md5(md5::Md5::digest(data).into())
    }

    /// The digest as lower-case hex, without the `md5:` prefix.
    ///
    /// ```
    /// use harmony_repo::Digest;
    /// assert_eq!(Digest::md5(b"").hex(), "d41d8cd98f00b204e9800998ecf8427e");
    /// ```
    pub fn hex(&self) -> String {
        let Digest::Md5(b) = self;
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Parses the hex form of an MD5 (an S3 ETag without quotes, say).
    pub fn md5_from_hex(hex: &str) -> Option<Digest> {
        let hex = hex.trim_matches('"');
        if hex.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        Some(Digest::Md5(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Digest::Md5(_) => write!(f, "md5:{}", self.hex()),
        }
    }
}

/// Incremental MD5, for backends that digest while streaming.
#[derive(Default, Clone)]
pub struct Md5Hasher(md5::Md5);

impl Md5Hasher {
    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        use md5::Digest as _;
        self.0.update(data);
    }
    /// The digest of everything fed.
    pub fn finish(self) -> Digest {
        use md5::Digest as _;
        Digest::Md5(self.0.finalize().into())
    }
}

/// What a repository knows about one object.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ObjectMeta {
    /// The key, relative to the repository.
    pub key: Key,
    /// Size in bytes.
    pub size: u64,
    /// Last modification time, as the backend reports it (precision varies).
    pub last_modified: Option<SystemTime>,
    /// The version token: changes on every write of the key.
    pub version: Option<Version>,
    /// A content digest, where the backend has one for this object.
    pub digest: Option<Digest>,
}

/// How a put treats an existing object.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum PutMode {
    /// Replace whatever is there.
    #[default]
    Overwrite,
    /// Fail with [`Error::AlreadyExists`](crate::Error::AlreadyExists) if the key exists.
    Create,
    /// Fail with [`Error::Precondition`](crate::Error::Precondition) unless the
    /// current version is this one (a missing key also fails).
    Update(Version),
}

/// The result of a get: the object's metadata and its body as a stream.
pub struct GetResult {
    /// Metadata of the object read (the whole object, even for a range).
    pub meta: ObjectMeta,
    /// The byte range returned.
    pub range: Range<u64>,
    /// The body.
    pub body: ByteStream,
}

impl GetResult {
    /// Collects the whole body into memory.
    pub async fn bytes(self) -> Result<Bytes> {
        let len = (self.range.end - self.range.start) as usize;
        let mut buf = BytesMut::with_capacity(len.min(64 << 20));
        let mut body = self.body;
        while let Some(chunk) = body.try_next().await? {
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

impl fmt::Debug for GetResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetResult")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish()
    }
}

/// The immediate children of a prefix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// Objects directly under the prefix, sorted by key.
    pub objects: Vec<ObjectMeta>,
    /// Sub-prefixes that hold at least one object, sorted.
    pub prefixes: Vec<Key>,
}

/// One interface over every store: keys, atomic puts, compare-and-swap, listings.
///
/// Keys are relative to the repository. Listings return keys in byte order.
/// Every backend passes the same conformance suite (`harmony_repo::conformance`).
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use harmony_repo::{MemoryRepository, Repository, Key, PutMode, Error};
/// let repo = MemoryRepository::new();
/// let key = Key::new("hosts/acme.xml")?;
/// let v1 = repo.put(&key, "v1".into(), PutMode::Create).await?;
/// // A second create-only put fails: the key exists.
/// assert!(matches!(repo.put(&key, "x".into(), PutMode::Create).await, Err(Error::AlreadyExists(_))));
/// // Compare-and-swap: replace only if nobody wrote since we read v1.
/// repo.put(&key, "v2".into(), PutMode::Update(v1.version.unwrap())).await?;
/// assert_eq!(repo.get(&key).await?.bytes().await?, "v2");
/// # Ok::<_, Error>(()) }).unwrap();
/// ```
#[async_trait]
pub trait Repository: Send + Sync + fmt::Debug + fmt::Display {
    /// Metadata of one object; [`Error::NotFound`](crate::Error::NotFound) if missing.
    async fn head(&self, key: &Key) -> Result<ObjectMeta>;

    /// Reads an object, or the byte range `start..end` of it (`end` is clamped to the
    /// size; a `start` past the size is [`Error::InvalidRange`](crate::Error::InvalidRange)).
    async fn get_range(&self, key: &Key, range: Option<Range<u64>>) -> Result<GetResult>;

    /// Writes a whole object from memory, atomically, honouring `mode`.
    async fn put(&self, key: &Key, data: Bytes, mode: PutMode) -> Result<ObjectMeta>;

    /// Writes an object from a stream of any length, atomically, with bounded memory.
    async fn put_stream(&self, key: &Key, body: ByteStream, mode: PutMode) -> Result<ObjectMeta>;

    /// Every object below `prefix` (or the whole repository), recursively, in key order.
    /// The stream borrows the repository, not the prefix.
    fn list(&self, prefix: Option<&Key>) -> ListStream<'_>;

    /// The objects and sub-prefixes directly below `prefix`.
    async fn list_with_delimiter(&self, prefix: Option<&Key>) -> Result<Listing>;

    /// Deletes an object; a missing key is not an error.
    async fn delete(&self, key: &Key) -> Result<()>;

    /// Copies `from` to `to`; with `create_only`, fails with `AlreadyExists` if `to` exists.
    async fn copy(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta>;

    /// Moves `from` to `to` (copy then delete where the store has no rename).
    async fn rename(&self, from: &Key, to: &Key, create_only: bool) -> Result<ObjectMeta> {
        let meta = self.copy(from, to, create_only).await?;
        self.delete(from).await?;
        Ok(meta)
    }

    /// Reads a whole object.
    async fn get(&self, key: &Key) -> Result<GetResult> {
        self.get_range(key, None).await
    }

    /// Deletes every object below `prefix`; returns how many were deleted.
    async fn delete_prefix(&self, prefix: &Key) -> Result<u64> {
        let keys: Vec<Key> = self
            .list(Some(prefix))
            .map_ok(|m| m.key)
            .try_collect()
            .await?;
        let n = keys.len() as u64;
        futures::stream::iter(keys)
            .map(|k| async move { self.delete(&k).await })
            .buffer_unordered(16)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(n)
    }
}

/// Clamps a requested range to an object's size, with the uniform error.
pub fn clamp_range(
    loc: impl FnOnce() -> crate::Location,
    range: Option<Range<u64>>,
    size: u64,
) -> Result<Range<u64>> {
    match range {
        None => Ok(0..size),
        Some(r) if r.start > r.end => Err(crate::Error::InvalidRange(
            loc(),
            format!("start {} after end {}", r.start, r.end),
        )),
        Some(r) if r.start > size => Err(crate::Error::InvalidRange(
            loc(),
            format!("start {} past the object's size {}", r.start, size),
        )),
        Some(r) => Ok(r.start..r.end.min(size)),
    }
}

/// A stream of one chunk.
pub fn once_stream(data: Bytes) -> ByteStream {
    futures::stream::once(async move { Ok(data) }).boxed()
}
