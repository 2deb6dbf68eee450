//! # harmony-repo
//!
//! One [`Repository`] interface over the stores a clustered Cleo Harmony deployment
//! keeps its shared state in, and the two Harmony trees laid out on top of it
//! ([`layout::System`]: the configuration tree and each node's runtime tree).
//!
//! This crate holds the trait, keys, errors, settings, layouts, the in-memory backend,
//! the sync engine and the conformance suite; backends live in their own crates and
//! `harmony-repo-any` opens any of them from settings.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use harmony_repo::{Key, MemoryRepository, PutMode, Repository};
//! let repo = MemoryRepository::new();
//! let key = Key::new("hosts/acme.xml")?;
//! repo.put(&key, "<host/>".into(), PutMode::Create).await?;
//! assert_eq!(repo.get(&key).await?.bytes().await?, "<host/>");
//! # Ok::<_, harmony_repo::Error>(()) }).unwrap();
//! ```
#![warn(missing_docs)]

mod counting;
mod error;
mod key;
pub mod layout;
mod memory;
mod prefixed;
mod repository;
pub mod settings;
pub mod sync;

#[cfg(feature = "conformance")]
pub mod conformance;

pub use counting::{Counting, Counts};
pub use error::{BoxError, Error, Location, Result};
pub use key::{Key, Name, MAX_KEY_BYTES, MAX_SEGMENT_BYTES};
pub use memory::MemoryRepository;
pub use prefixed::Prefixed;
pub use repository::{
    clamp_range, once_stream, ByteStream, Digest, GetResult, ListStream, Listing, Md5Hasher,
    ObjectMeta, PutMode, Repository, Version,
};
