//! A node's Harmony environment: system name, host name, and the two settings files.

use super::*;
use crate::error::Error;
use crate::key::Name;

/// What a Harmony node knows about its repositories.
///
/// ```no_run
/// let env = harmony_repo::settings::HarmonyEnv::from_env()?;
/// println!("{} on {}: config in {}", env.system, env.host, env.config.source);
/// # Ok::<_, harmony_repo::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HarmonyEnv {
    /// `CLEO_SYSTEM_NAME`.
    pub system: Name,
    /// The node's host name (`HOSTNAME`, else the OS's).
    pub host: Name,
    /// `CLEO_SECRETS_MOUNT_POINT` (default `/var/secrets`).
    pub secrets_dir: PathBuf,
    /// The `cleo-config-repo` settings.
    pub config: RepoSettings,
    /// The `cleo-runtime-repo` settings, if that file exists.
    pub runtime: Option<RepoSettings>,
}

impl HarmonyEnv {
    /// Reads the process environment and the secrets folder.
    pub fn from_env() -> Result<HarmonyEnv> {
        Self::from_vars(|k| std::env::var(k).ok())
    }

    /// Like [`from_env`](Self::from_env), with the variables given by `var`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<HarmonyEnv> {
        let system = var("CLEO_SYSTEM_NAME")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::settings(
                    "environment",
                    "CLEO_SYSTEM_NAME",
                    "missing: expected the system name",
                )
            })?;
        let system = Name::new(system)
            .map_err(|e| Error::settings("environment", "CLEO_SYSTEM_NAME", e.to_string()))?;
        let host = var("HOSTNAME")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
        let host = Name::new(host)
            .map_err(|e| Error::settings("environment", "HOSTNAME", e.to_string()))?;
        let secrets_dir: PathBuf = var("CLEO_SECRETS_MOUNT_POINT")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/var/secrets".into())
            .into();
        let config_file = secrets_dir.join("cleo-config-repo");
        if !config_file.is_file() {
            return Err(Error::settings(
                config_file.display().to_string(),
                "",
                "missing: expected the configuration repository settings",
            ));
        }
        let config = RepoSettings::load(&config_file)?;
        let runtime_file = secrets_dir.join("cleo-runtime-repo");
        let runtime = runtime_file
            .is_file()
            .then(|| RepoSettings::load(&runtime_file))
            .transpose()?;
        Ok(HarmonyEnv {
            system,
            host,
            secrets_dir,
            config,
            runtime,
        })
    }
}
