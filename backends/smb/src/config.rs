//! Connection settings of an SMB repository.

use harmony_repo::settings::{Connector, RepoSettings, Secret, SmbSettings};
use harmony_repo::{Error, Result};
use std::time::Duration;

/// Where the share is, who connects, and how long locks may be held.
///
/// ```
/// use harmony_repo_smb::SmbConfig;
/// let c = SmbConfig::new("files.example.com", "harmony")
///     .port(4450)
///     .user("svc-harmony")
///     .password("secret")
///     .workgroup("CORP");
/// assert_eq!(c.url(), "smb://files.example.com:4450/harmony");
/// assert!(!format!("{c:?}").contains("secret"));
/// ```
#[derive(Clone, Debug)]
pub struct SmbConfig {
    /// Server host name or address.
    pub server: String,
    /// TCP port (445 when `None`).
    pub port: Option<u16>,
    /// Share name.
    pub share: String,
    /// User name (guest when `None`).
    pub user: Option<String>,
    /// Password.
    pub password: Option<Secret>,
    /// Domain or workgroup (`WORKGROUP` when `None`).
    pub workgroup: Option<String>,
    /// A per-key lock whose holder shows no sign of life for this long is broken
    /// (its writer crashed). Default 30 s; settings: `advancedProperties.smbLockStaleSeconds`.
    pub lock_stale_after: Duration,
    /// How long a write waits for a lock or for readers to close before failing
    /// with `Unavailable`. Default 120 s.
    pub wait_timeout: Duration,
}

impl SmbConfig {
    /// A configuration for `//server/share` with the default timeouts.
    pub fn new(server: impl Into<String>, share: impl Into<String>) -> Self {
        SmbConfig {
            server: server.into(),
            port: None,
            share: share.into().trim_matches('/').to_string(),
            user: None,
            password: None,
            workgroup: None,
            lock_stale_after: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(120),
        }
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets the user name.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Secret::new(password));
        self
    }

    /// Sets the domain or workgroup.
    pub fn workgroup(mut self, workgroup: impl Into<String>) -> Self {
        self.workgroup = Some(workgroup.into());
        self
    }

    /// Sets the time after which a lock of a crashed writer is broken.
    pub fn lock_stale_after(mut self, d: Duration) -> Self {
        self.lock_stale_after = d;
        self
    }

    /// Sets how long writes wait for locks and readers.
    pub fn wait_timeout(mut self, d: Duration) -> Self {
        self.wait_timeout = d;
        self
    }

    /// `smb://server[:port]/share`, without credentials: the repository's display name.
    pub fn url(&self) -> String {
        match self.port {
            Some(p) => format!("smb://{}:{p}/{}", self.server, self.share),
            None => format!("smb://{}/{}", self.server, self.share),
        }
    }

    /// The configuration of the share named by settings (`sharePath` or `smb://`);
    /// the sub-path of the share is the settings' `root_path`, not used here.
    pub fn from_settings(settings: &RepoSettings) -> Result<Self> {
        let Connector::Smb(s) = &settings.connector else {
            return Err(Error::settings(
                &settings.source,
                "type",
                format!("expected smb, got {}", settings.connector.type_name()),
            ));
        };
        let mut c = Self::from(s);
        if let Some(v) = settings.advanced.get("smbLockStaleSeconds") {
            let secs: u64 = v.trim().parse().map_err(|_| {
                Error::settings(
                    &settings.source,
                    "advancedProperties.smbLockStaleSeconds",
                    "expected a whole number of seconds",
                )
            })?;
            c.lock_stale_after = Duration::from_secs(secs.max(1));
        }
        Ok(c)
    }
}

impl From<&SmbSettings> for SmbConfig {
    fn from(s: &SmbSettings) -> Self {
        SmbConfig {
            port: s.port,
            user: s.user.clone(),
            password: s.password.clone(),
            workgroup: s.domain.clone(),
            ..SmbConfig::new(s.server.clone(), s.share.clone())
        }
    }
}
