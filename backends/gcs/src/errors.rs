//! Mapping of `gcloud-storage` and auth errors to the uniform [`harmony_repo::Error`] kinds.

use gcloud_storage::client::google_cloud_auth::error::Error as AuthError;
use gcloud_storage::http::Error as GcsError;
use harmony_repo::{Error, Location};

/// What a failed precondition (HTTP 412) means for the operation that got it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Cond {
    /// No precondition was sent (a 412 is then unexpected).
    None,
    /// `ifGenerationMatch=0`: the key already exists.
    Create,
    /// `ifGenerationMatch=<generation>`: the version changed or the key is missing.
    Update,
}

/// The HTTP status of an error, where there is one.
pub(crate) fn status(e: &GcsError) -> Option<u16> {
    match e {
        GcsError::Response(r) => Some(r.code),
        GcsError::HttpClient(e) | GcsError::RawResponse(e, _) => e.status().map(|s| s.as_u16()),
        _ => None,
    }
}

/// True when the error is a 404.
pub(crate) fn is_not_found(e: &GcsError) -> bool {
    status(e) == Some(404)
}

fn transient(e: &GcsError) -> bool {
    match e {
        GcsError::HttpClient(e) | GcsError::RawResponse(e, _) => {
            e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()
        }
        GcsError::HttpMiddleware(_) => true,
        _ => false,
    }
}

/// Maps a storage error; `cond` says what a 412 means.
pub(crate) fn map(loc: Location, e: GcsError, cond: Cond) -> Error {
    match status(&e) {
        Some(404) => Error::NotFound(loc),
        Some(412) if cond == Cond::Create => Error::AlreadyExists(loc),
        Some(412) => Error::Precondition(loc, "the object's generation does not match".into()),
        Some(401 | 403) => Error::PermissionDenied(loc, e.into()),
        Some(408 | 429 | 500..=599) => Error::Unavailable(loc, e.into()),
        _ if matches!(e, GcsError::TokenSource(_)) => Error::PermissionDenied(loc, e.into()),
        _ if transient(&e) => Error::Unavailable(loc, e.into()),
        _ => Error::Backend(loc, e.into()),
    }
}

/// Maps a failure to build credentials (never includes the key: the auth crate's
/// messages name fields and HTTP statuses, not values).
pub(crate) fn map_auth(loc: Location, e: AuthError) -> Error {
    match &e {
        AuthError::HttpError(h) if h.is_connect() || h.is_timeout() => {
            Error::Unavailable(loc, e.into())
        }
        _ => Error::PermissionDenied(loc, e.into()),
    }
}
