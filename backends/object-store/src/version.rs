//! Version tokens and digests.
//!
//! The token is the ETag. On S3 the ETag of a single-part upload is the content's MD5,
//! so rewriting equal content would keep it: every write there also stores a random
//! write id in the object's metadata (`x-amz-meta-harmony-write-id`), and head, get and
//! put report `w.<write id>.<ETag>`. Listings cannot see metadata and report the bare
//! ETag. A conditional update checks the ETag part only (`If-Match`).

use crate::repo::Flavor;
use harmony_repo::{Digest, Error, Key, Location, ObjectMeta, PutMode, Result, Version};
use object_store::{Attribute, AttributeValue, Attributes, PutResult, UpdateVersion};
use std::time::SystemTime;

const WRITE_ID: &str = "harmony-write-id";

/// Fresh metadata for one write (S3 only).
pub(crate) fn write_attributes(flavor: Flavor) -> Attributes {
    let mut a = Attributes::new();
    if flavor == Flavor::S3 {
        let id = format!("{:016x}", rand::random::<u64>());
        a.insert(
            Attribute::Metadata(WRITE_ID.into()),
            AttributeValue::from(id),
        );
    }
    a
}

/// The write id in a set of attributes, if any.
pub(crate) fn write_id(attrs: &Attributes) -> Option<String> {
    attrs
        .get(&Attribute::Metadata(WRITE_ID.into()))
        .map(|v| v.as_ref().to_string())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_hexdigit()))
}

fn token(e_tag: Option<&str>, version: Option<&str>, wid: Option<String>) -> Option<Version> {
    // Listings and headers quote ETags differently (Azure): keep them unquoted.
    let base = e_tag.or(version)?.trim_matches('"');
    Some(Version(match wid {
        Some(w) => format!("w.{w}.{base}"),
        None => base.to_string(),
    }))
}

/// The ETag a token carries (what `If-Match` compares).
pub(crate) fn etag_of(v: &Version) -> &str {
    let s = v.0.as_str();
    s.strip_prefix("w.")
        .and_then(|rest| rest.split_once('.'))
        .map(|(_, etag)| etag)
        .unwrap_or(s)
}

fn digest(flavor: Flavor, e_tag: Option<&str>) -> Option<Digest> {
    match flavor {
        // A single-part upload's ETag is the MD5; multipart ETags end in `-<parts>`.
        Flavor::S3 => e_tag
            .filter(|e| !e.contains('-'))
            .and_then(Digest::md5_from_hex),
        Flavor::Azure | Flavor::Other => None,
    }
}

/// Our metadata from the store's (and, from a head or get, the object's attributes).
pub(crate) fn meta(
    flavor: Flavor,
    key: Key,
    m: &object_store::ObjectMeta,
    attrs: Option<&Attributes>,
) -> ObjectMeta {
    let wid = attrs.and_then(write_id);
    ObjectMeta {
        key,
        size: m.size,
        last_modified: Some(SystemTime::from(m.last_modified)),
        version: token(m.e_tag.as_deref(), m.version.as_deref(), wid),
        digest: digest(flavor, m.e_tag.as_deref()),
    }
}

/// Metadata of an object just written.
pub(crate) fn put_meta(
    flavor: Flavor,
    key: Key,
    size: u64,
    r: &PutResult,
    wid: Option<String>,
) -> ObjectMeta {
    ObjectMeta {
        key,
        size,
        last_modified: None,
        version: token(r.e_tag.as_deref(), r.version.as_deref(), wid),
        digest: digest(flavor, r.e_tag.as_deref()),
    }
}

/// Our put mode as `object_store`'s.
pub(crate) fn put_mode(
    mode: &PutMode,
    loc: impl FnOnce() -> Location,
) -> Result<object_store::PutMode> {
    Ok(match mode {
        PutMode::Overwrite => object_store::PutMode::Overwrite,
        PutMode::Create => object_store::PutMode::Create,
        PutMode::Update(v) if etag_of(v).is_empty() => {
            return Err(Error::Precondition(loc(), "empty version token".into()))
        }
        PutMode::Update(v) => object_store::PutMode::Update(UpdateVersion {
            e_tag: Some(format!("\"{}\"", etag_of(v).trim_matches('"'))),
            version: None,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_to_etags() {
        let t = token(Some("\"abc\""), None, Some("00ff".into())).unwrap();
        assert_eq!(t.0, "w.00ff.abc");
        assert_eq!(etag_of(&t), "abc");
        assert_eq!(
            token(Some("0x8DC"), None, None),
            token(Some("\"0x8DC\""), None, None)
        );
        assert_eq!(etag_of(&Version("\"x.y\"".into())), "\"x.y\"");
        assert_eq!(etag_of(&Version("0x8DC".into())), "0x8DC");
    }

    #[test]
    fn only_single_part_s3_etags_are_digests() {
        let md5 = "\"d41d8cd98f00b204e9800998ecf8427e\"";
        assert_eq!(digest(Flavor::S3, Some(md5)), Some(Digest::md5(b"")));
        assert_eq!(
            digest(Flavor::S3, Some("\"d41d8cd98f00b204e9800998ecf8427e-2\"")),
            None
        );
        assert_eq!(digest(Flavor::Azure, Some(md5)), None);
    }
}
