//! How keys become SMB paths, and back.
//!
//! Two layers:
//! 1. **Name escaping** (what is stored on the share): each key segment keeps its
//!    characters, except those SMB refuses or that would alias another name, which
//!    become `%XX` (the UTF-8 bytes in upper-case hex):
//!
//!    | in a key segment                                   | stored as          |
//!    |----------------------------------------------------|--------------------|
//!    | `%` (the escape character itself)                  | `%25`              |
//!    | `"` `*` `:` `<` `>` `?` `\|` (forbidden by SMB)     | `%22` `%2A` `%3A` `%3C` `%3E` `%3F` `%7C` |
//!    | a trailing `.` or space                            | `%2E` / `%20`      |
//!    | `CON` `PRN` `AUX` `NUL` `COM0-9` `LPT0-9` (any case, alone or before a `.`) | first letter escaped: `%43ON.txt` |
//!    | `~` in a segment of at most 12 bytes (looks like an 8.3 short name, which the server would resolve to another file) | `%7E` |
//!
//!    Everything else (Unicode, spaces, `+`, `&`, `'`, ...) is stored as is, so files
//!    keep readable names for `smbclient` and Windows users. A name found on the
//!    share decodes `%XX` back; a `%` not followed by two hex digits stays literal.
//! 2. **URL encoding**: libsmbclient takes `smb://` URLs and decodes `%XX` in them,
//!    and `?` starts URL options, so every byte outside `[A-Za-z0-9._~-]` of the
//!    stored name is percent-encoded again when it is handed to libsmbclient.
//!
//! The top-level folder [`INTERNAL_DIR`] holds locks, temporary files and metadata;
//! keys whose first segment is that name (in any case) are refused.

use harmony_repo::{Error, Key, Result, MAX_SEGMENT_BYTES};

/// The reserved top-level folder for locks, temporary files and version metadata.
pub const INTERNAL_DIR: &str = ".harmony-smb";

const FORBIDDEN: &[char] = &['"', '*', ':', '<', '>', '?', '|', '\\', '%'];
const DEVICES: &[&str] = &["CON", "PRN", "AUX", "NUL"];

fn is_device(seg: &str) -> bool {
    let base = seg.split('.').next().unwrap_or(seg).to_ascii_uppercase();
    if DEVICES.contains(&base.as_str()) {
        return true;
    }
    let b = base.as_bytes();
    b.len() == 4 && (base.starts_with("COM") || base.starts_with("LPT")) && b[3].is_ascii_digit()
}

fn push_escaped(out: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        out.push_str(&format!("%{b:02X}"));
    }
}

/// The name stored on the share for one key segment.
///
/// ```
/// use harmony_repo_smb::names::escape_segment;
/// assert_eq!(escape_segment("a:b?.txt"), "a%3Ab%3F.txt");
/// assert_eq!(escape_segment("trailing space "), "trailing space%20");
/// assert_eq!(escape_segment("con.txt"), "%63on.txt");
/// assert_eq!(escape_segment("ü ñ"), "ü ñ");
/// ```
pub fn escape_segment(seg: &str) -> String {
    let short = seg.len() <= 12;
    let last = seg.chars().count().saturating_sub(1);
    let mut out = String::with_capacity(seg.len() + 4);
    for (i, c) in seg.chars().enumerate() {
        let escape = FORBIDDEN.contains(&c)
            || c.is_control()
            || (i == last && (c == '.' || c == ' '))
            || (i == 0 && is_device(seg))
            || (c == '~' && short);
        if escape {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    out
}

/// The key segment a stored name stands for (`None` if it does not decode to UTF-8).
///
/// ```
/// use harmony_repo_smb::names::unescape_segment;
/// assert_eq!(unescape_segment("a%3Ab%3F.txt").as_deref(), Some("a:b?.txt"));
/// assert_eq!(unescape_segment("100%.txt").as_deref(), Some("100%.txt"));
/// ```
pub fn unescape_segment(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| (b.get(j).copied()).and_then(|c| (c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes a stored name (or path) for a libsmbclient URL; `/` is kept.
pub fn url_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 8);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/._~-".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The stored path of a key (`a/b` -> `a/b`, escaped), refusing the reserved folder.
pub fn stored_path(key: &Key) -> Result<String> {
    let mut parts = Vec::new();
    for (i, seg) in key.segments().enumerate() {
        if i == 0 && seg.eq_ignore_ascii_case(INTERNAL_DIR) {
            return Err(Error::invalid_path(
                key.as_str(),
                format!("the top-level name '{INTERNAL_DIR}' is reserved by the SMB backend"),
            ));
        }
        let esc = escape_segment(seg);
        if esc.len() > MAX_SEGMENT_BYTES {
            return Err(Error::invalid_path(
                key.as_str(),
                format!(
                    "segment is {} bytes once escaped for SMB, over {MAX_SEGMENT_BYTES}",
                    esc.len()
                ),
            ));
        }
        parts.push(esc);
    }
    Ok(parts.join("/"))
}

/// The libsmbclient path (`/`-rooted, URL-encoded) of a stored path.
pub fn url_path(stored: &str) -> String {
    format!("/{}", url_encode(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_table() {
        for (seg, stored) in [
            ("plain.txt", "plain.txt"),
            ("100%.txt", "100%25.txt"),
            ("a\"b*c:d<e>f?g|h", "a%22b%2Ac%3Ad%3Ce%3Ef%3Fg%7Ch"),
            ("trailing space ", "trailing space%20"),
            ("dot.", "dot%2E"),
            ("dots..", "dots.%2E"),
            (" leading space", " leading space"),
            ("CON", "%43ON"),
            ("con.txt", "%63on.txt"),
            ("Lpt1.log", "%4Cpt1.log"),
            ("COM10", "COM10"),
            ("console", "console"),
            ("ABCDEF~1", "ABCDEF%7E1"),
            ("tilde~x=y&z", "tilde%7Ex=y&z"),
            ("a-long-name~with-tilde", "a-long-name~with-tilde"),
            ("日本 語.txt", "日本 語.txt"),
            ("emoji 😀", "emoji 😀"),
            (".hidden", ".hidden"),
        ] {
            assert_eq!(escape_segment(seg), stored, "{seg:?}");
            assert_eq!(unescape_segment(stored).as_deref(), Some(seg), "{stored:?}");
        }
    }

    #[test]
    fn url_layer_round_trips_percent() {
        assert_eq!(url_encode("a b/100%25?"), "a%20b/100%2525%3F");
        assert_eq!(url_encode("ü"), "%C3%BC");
    }

    #[test]
    fn reserved_folder_is_refused_in_any_case() {
        for k in [".harmony-smb/x", ".HARMONY-SMB", ".Harmony-Smb/a/b"] {
            let e = stored_path(&Key::new(k).unwrap()).unwrap_err();
            assert!(matches!(e, Error::InvalidPath { .. }), "{k}: {e}");
        }
        assert!(stored_path(&Key::new("a/.harmony-smb").unwrap()).is_ok());
    }

    #[test]
    fn overlong_escaped_segment_is_invalid_path() {
        let k = Key::new("?".repeat(100)).unwrap();
        assert!(matches!(stored_path(&k), Err(Error::InvalidPath { .. })));
    }
}
