//! Maps `object_store` errors to harmony-repo's error kinds, without leaking secrets.

use harmony_repo::{BoxError, Error, Location};
use object_store::client::{HttpError, HttpErrorKind};
use std::error::Error as StdError;

/// The full text of an error and its sources.
/// A client that could not be built: a settings error, with every secret masked.
pub(crate) fn build_error(source: &str, e: &dyn std::fmt::Display, secrets: &[String]) -> Error {
    let mut msg = e.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        msg = msg.replace(s.as_str(), "***");
    }
    Error::settings(source, "connectorProperties", msg)
}

fn chain_text(e: &(dyn StdError + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// True when some source in the chain is a network failure worth retrying.
fn is_transient(e: &(dyn StdError + 'static), text: &str) -> bool {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(e);
    while let Some(c) = cur {
        if let Some(h) = c.downcast_ref::<HttpError>() {
            if matches!(
                h.kind(),
                HttpErrorKind::Connect | HttpErrorKind::Timeout | HttpErrorKind::Interrupted
            ) {
                return true;
            }
        }
        cur = c.source();
    }
    // The retry layer reports the last status it saw.
    [
        "status code: 5",
        "status code: 429",
        "timed out",
        "SlowDown",
        "ServerBusy",
    ]
    .iter()
    .any(|p| text.contains(p))
}

/// An error whose text had secrets removed (the original source is dropped then).
#[derive(Debug)]
struct Redacted(String);

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for Redacted {}

/// The failure of a whole repository (as opposed to a key): its bucket or container is missing.
#[derive(Debug)]
pub(crate) struct MissingContainer(pub String);

impl std::fmt::Display for MissingContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl StdError for MissingContainer {}

/// How to name things in errors, and which strings must never appear in them.
pub(crate) struct ErrorContext<'a> {
    /// The repository's display name.
    pub repo: &'a str,
    /// "bucket" or "container".
    pub container_word: &'a str,
    /// The bucket or container name.
    pub container: &'a str,
    /// Values to scrub from messages.
    pub secrets: &'a [String],
}

impl ErrorContext<'_> {
    fn scrub(&self, e: object_store::Error, text: &str) -> BoxError {
        if self
            .secrets
            .iter()
            .any(|s| !s.is_empty() && text.contains(s.as_str()))
        {
            let mut t = text.to_string();
            for s in self.secrets.iter().filter(|s| !s.is_empty()) {
                t = t.replace(s.as_str(), "***");
            }
            Box::new(Redacted(t))
        } else {
            Box::new(e)
        }
    }

    /// Maps `e`, raised while working on `key` (None: the repository as a whole).
    pub fn map(&self, e: object_store::Error, key: Option<&str>) -> Error {
        let text = chain_text(&e);
        let loc = match key {
            Some(k) => Location::new(self.repo, k),
            None => Location::repo(self.repo),
        };
        if ["NoSuchBucket", "ContainerNotFound"]
            .iter()
            .any(|c| text.contains(c))
        {
            return Error::Backend(
                Location::repo(self.repo),
                Box::new(MissingContainer(format!(
                    "the {} '{}' does not exist (create it first)",
                    self.container_word, self.container
                ))),
            );
        }
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound(loc),
            object_store::Error::AlreadyExists { .. } => Error::AlreadyExists(loc),
            object_store::Error::Precondition { .. } => {
                let why = match key {
                    Some(_) => "the object's version is not the expected one, or it is missing",
                    None => "precondition failed",
                };
                Error::Precondition(loc, why.to_string())
            }
            object_store::Error::Unauthenticated { .. }
            | object_store::Error::PermissionDenied { .. } => {
                // Name the repository only: the message must not echo a key or a secret.
                Error::PermissionDenied(Location::repo(self.repo), self.scrub(e, &text))
            }
            _ if text.contains("status code: 403") || text.contains("status code: 401") => {
                Error::PermissionDenied(Location::repo(self.repo), self.scrub(e, &text))
            }
            ref other if is_transient(other, &text) => {
                Error::Unavailable(loc, self.scrub(e, &text))
            }
            _ => Error::Backend(loc, self.scrub(e, &text)),
        }
    }
}
