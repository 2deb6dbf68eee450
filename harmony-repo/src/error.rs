//! The error every operation returns: a small set of kinds that mean the same on
//! every backend, each naming the backend (never its credentials) and the key.

use std::fmt;

/// The source of a backend error, kept for callers that want to inspect it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where an error happened: the backend's display name and, when known, the key.
///
/// The display name is the repository's `Display` form (`s3://bucket/prefix`,
/// `file:///srv/repo`, ...), which never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The repository, as it displays itself.
    pub backend: String,
    /// The key (relative to that repository), if the error is about one.
    pub key: Option<String>,
}

impl Location {
    /// A location naming a repository and a key.
    pub fn new(backend: impl fmt::Display, key: impl fmt::Display) -> Self {
        Location {
            backend: backend.to_string(),
            key: Some(key.to_string()),
        }
    }

    /// A location naming a repository only.
    pub fn repo(backend: impl fmt::Display) -> Self {
        Location {
            backend: backend.to_string(),
            key: None,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}: '{}'", self.backend, k),
            None => f.write_str(&self.backend),
        }
    }
}

/// Every failure of a [`Repository`](crate::Repository) operation.
///
/// ```
/// use harmony_repo::{Error, Location};
/// let e = Error::NotFound(Location::new("memory://", "hosts/acme.xml"));
/// assert_eq!(e.to_string(), "memory://: 'hosts/acme.xml': not found");
/// assert!(!e.is_retryable());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The key does not exist.
    #[error("{0}: not found")]
    NotFound(Location),
    /// A create-only write found the key already there.
    #[error("{0}: already exists")]
    AlreadyExists(Location),
    /// A replace-if-version write found another version (or no object).
    #[error("{0}: precondition failed: {1}")]
    Precondition(Location, String),
    /// A key, prefix or name that is not valid.
    #[error("invalid path '{path}': {reason}")]
    InvalidPath {
        /// The offending input (never a secret).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A byte range that does not fit the object.
    #[error("{0}: invalid range: {1}")]
    InvalidRange(Location, String),
    /// A settings file or URL that cannot be used.
    #[error("{source_name}: key '{key}': {problem}")]
    InvalidSettings {
        /// The file (or URL, without credentials) the settings came from.
        source_name: String,
        /// The settings key at fault (dotted, e.g. `connectorProperties.bucket`).
        key: String,
        /// What was expected.
        problem: String,
    },
    /// The server refused the credentials or the operation.
    #[error("{0}: permission denied: {1}")]
    PermissionDenied(Location, #[source] BoxError),
    /// A transient failure (network, throttling, server busy): retrying may work.
    #[error("{0}: unavailable: {1}")]
    Unavailable(Location, #[source] BoxError),
    /// Any other backend failure, with its source kept.
    #[error("{0}: {1}")]
    Backend(Location, #[source] BoxError),
}

impl Error {
    /// True for failures that a retry may cure.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Unavailable(..))
    }

    /// True when the object did not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound(_))
    }

    /// An [`Error::InvalidPath`].
    pub fn invalid_path(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidPath {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::InvalidSettings`].
    pub fn settings(
        source_name: impl Into<String>,
        key: impl Into<String>,
        problem: impl Into<String>,
    ) -> Self {
        Error::InvalidSettings {
            source_name: source_name.into(),
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// A [`Error::Backend`] from any error or message.
    pub fn backend(loc: Location, source: impl Into<BoxError>) -> Self {
        Error::Backend(loc, source.into())
    }

    /// The location this error names, if any.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::NotFound(l)
            | Error::AlreadyExists(l)
            | Error::Precondition(l, _)
            | Error::InvalidRange(l, _)
            | Error::PermissionDenied(l, _)
            | Error::Unavailable(l, _)
            | Error::Backend(l, _) => Some(l),
            _ => None,
        }
    }

    /// Rewrites the location's key (used by views that add a prefix to keys) and backend.
    pub fn map_location(mut self, f: impl FnOnce(&mut Location)) -> Self {
        match &mut self {
            Error::NotFound(l)
            | Error::AlreadyExists(l)
            | Error::Precondition(l, _)
            | Error::InvalidRange(l, _)
            | Error::PermissionDenied(l, _)
            | Error::Unavailable(l, _)
            | Error::Backend(l, _) => f(l),
            _ => {}
        }
        self
    }
}
