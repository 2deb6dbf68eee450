//! Validated keys and names: an invalid key cannot be built.

use crate::error::{Error, Result};
use std::fmt;

/// Longest key accepted, in bytes (the S3 and GCS limit).
pub const MAX_KEY_BYTES: usize = 1024;
/// Longest segment accepted, in bytes (the usual file-system limit).
pub const MAX_SEGMENT_BYTES: usize = 255;

/// A `/`-separated relative object key, valid on every backend.
///
/// Refused: the empty key, empty segments (`a//b`, a leading or trailing `/`),
/// `.` and `..`, backslashes, NUL and other control characters, segments over
/// 255 bytes and keys over 1024 bytes. Unicode, spaces and `+` are kept as given.
///
/// ```
/// use harmony_repo::Key;
/// let k = Key::new("hosts/ACME Corp+1/ü.xml").unwrap();
/// assert_eq!(k.as_str(), "hosts/ACME Corp+1/ü.xml");
/// assert_eq!(k.file_name(), "ü.xml");
/// assert!(Key::new("../etc/passwd").is_err());
/// assert!(Key::new("/abs").is_err());
/// assert!(Key::new("a\\b").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key(String);

fn check_segment(whole: &str, seg: &str) -> Result<()> {
    let bad = |reason: String| {
        Err(Error::invalid_path(
            whole.escape_debug().to_string(),
            reason,
        ))
    };
    if seg.is_empty() {
        return bad("empty segment (leading, trailing or doubled '/')".into());
    }
    if seg == "." || seg == ".." {
        return bad(format!("segment '{seg}' is not allowed"));
    }
    if seg.len() > MAX_SEGMENT_BYTES {
        return bad(format!("segment longer than {MAX_SEGMENT_BYTES} bytes"));
    }
    if let Some(c) = seg.chars().find(|c| *c == '\\' || c.is_control()) {
        return bad(format!(
            "character {:?} is not allowed in segment '{}'",
            c,
            seg.escape_debug()
        ));
    }
    Ok(())
}

impl Key {
    /// Validates and builds a key.
    pub fn new(s: impl Into<String>) -> Result<Key> {
        let s = s.into();
        if s.is_empty() {
            return Err(Error::invalid_path("", "empty key"));
        }
        if s.len() > MAX_KEY_BYTES {
            return Err(Error::invalid_path(
                format!("{}...", s.chars().take(40).collect::<String>()),
                format!("key longer than {MAX_KEY_BYTES} bytes"),
            ));
        }
        if s.starts_with('/') {
            return Err(Error::invalid_path(
                s.escape_debug().to_string(),
                "absolute path",
            ));
        }
        for seg in s.split('/') {
            check_segment(&s, seg)?;
        }
        Ok(Key(s))
    }

    /// The key as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The segments, in order.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last segment.
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The key one level up, if any.
    pub fn parent(&self) -> Option<Key> {
        self.0.rsplit_once('/').map(|(p, _)| Key(p.to_string()))
    }

    /// `self/child`, validated.
    ///
    /// ```
    /// # use harmony_repo::Key;
    /// let k = Key::new("a").unwrap().join("b/c").unwrap();
    /// assert_eq!(k.as_str(), "a/b/c");
    /// ```
    pub fn join(&self, child: &str) -> Result<Key> {
        Key::new(format!("{}/{}", self.0, child))
    }

    /// Joins an optional prefix and a relative part.
    pub fn join_opt(prefix: Option<&Key>, rest: &Key) -> Result<Key> {
        match prefix {
            Some(p) => p.join(rest.as_str()),
            None => Ok(rest.clone()),
        }
    }

    /// The part of `self` below `prefix`, if `self` lies strictly inside it.
    ///
    /// ```
    /// # use harmony_repo::Key;
    /// let k = Key::new("a/b/c").unwrap();
    /// assert_eq!(k.strip_prefix(&Key::new("a").unwrap()).unwrap().as_str(), "b/c");
    /// assert!(k.strip_prefix(&Key::new("a/b/c").unwrap()).is_none());
    /// assert!(Key::new("ab/c").unwrap().strip_prefix(&Key::new("a").unwrap()).is_none());
    /// ```
    pub fn strip_prefix(&self, prefix: &Key) -> Option<Key> {
        self.0
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix('/'))
            .map(|r| Key(r.to_string()))
    }

    /// True if `self` is `prefix` or lies below it.
    pub fn starts_with(&self, prefix: &Key) -> bool {
        self == prefix || self.strip_prefix(prefix).is_some()
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl AsRef<str> for Key {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for Key {
    type Error = Error;
    fn try_from(s: &str) -> Result<Key> {
        Key::new(s)
    }
}

impl TryFrom<String> for Key {
    type Error = Error;
    fn try_from(s: String) -> Result<Key> {
        Key::new(s)
    }
}

impl std::str::FromStr for Key {
    type Err = Error;
    fn from_str(s: &str) -> Result<Key> {
        Key::new(s)
    }
}

/// A system or host name: exactly one valid key segment.
///
/// ```
/// use harmony_repo::Name;
/// assert_eq!(Name::new("harmony-1").unwrap().as_str(), "harmony-1");
/// assert!(Name::new("a/b").is_err());
/// assert!(Name::new("..").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(String);

impl Name {
    /// Validates a one-segment name.
    pub fn new(s: impl Into<String>) -> Result<Name> {
        let s = s.into();
        if s.contains('/') {
            return Err(Error::invalid_path(
                s.escape_debug().to_string(),
                "a name must be one segment (no '/')",
            ));
        }
        if s.is_empty() {
            return Err(Error::invalid_path("", "empty name"));
        }
        check_segment(&s, &s)?;
        Ok(Name(s))
    }

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a one-segment key.
    pub fn to_key(&self) -> Key {
        Key(self.0.clone())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_bad_keys_naming_the_part() {
        for (k, part) in [
            ("", "empty"),
            ("a//b", "empty segment"),
            ("a/", "empty segment"),
            ("/a", "absolute"),
            ("a/../b", "'..'"),
            ("./a", "'.'"),
            ("a\\b", "'\\\\'"),
            ("a\0b", "'\\0'"),
            ("a\nb", "'\\n'"),
            ("a\u{7f}", "'\\u{7f}'"),
        ] {
            let e = Key::new(k).unwrap_err().to_string();
            assert!(e.contains(part), "{k:?}: {e}");
        }
        assert!(Key::new("x".repeat(256))
            .unwrap_err()
            .to_string()
            .contains("255"));
        let long = vec!["y".repeat(200); 6].join("/");
        assert!(Key::new(long).unwrap_err().to_string().contains("1024"));
    }

    #[test]
    fn keeps_unicode_spaces_and_plus() {
        for k in [
            "a b/c+d",
            "日本/ファイル.txt",
            "emoji 😀",
            ".hidden",
            "a..b",
            "+",
            "%20",
        ] {
            assert_eq!(Key::new(k).unwrap().as_str(), k);
        }
    }
}
