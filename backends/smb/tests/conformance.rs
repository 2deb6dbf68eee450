//! The conformance suite against a real SMB server (see `scripts/servers/samba.sh`).
use harmony_repo::settings::RepoSettings;
use harmony_repo::Repository;
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    let [url, user, password] = harmony_repo::conformance::server_env(
        "SMB",
        [
            "HARMONY_TEST_SMB_URL",
            "HARMONY_TEST_SMB_USER",
            "HARMONY_TEST_SMB_PASSWORD",
        ],
    )?;
    let mut settings = RepoSettings::from_url(&url).expect("HARMONY_TEST_SMB_URL");
    if let harmony_repo::settings::Connector::Smb(s) = &mut settings.connector {
        s.user = Some(user);
        s.password = Some(harmony_repo::settings::Secret::new(password));
    }
    Some(
        harmony_repo_smb::open(&settings)
            .await
            .expect("open the SMB share"),
    )
}

harmony_repo::conformance_suite!(repo);
