//! SMB-specific behaviour against a real server: interop with `smbclient`, crashed-writer
//! lock recovery, the name-mapping table on the share, credentials, settings, case.

use futures::TryStreamExt;
use harmony_repo::settings::{Connector, RepoSettings, SmbSettings};
use harmony_repo::{Error, Key, PutMode, Repository};
use harmony_repo_smb::{SmbConfig, SmbRepository};
use std::process::Command;
use std::time::Duration;

struct Env {
    settings: SmbSettings,
    user: String,
    password: String,
}

fn env() -> Option<Env> {
    let [url, user, password] = harmony_repo::conformance::server_env(
        "SMB",
        [
            "HARMONY_TEST_SMB_URL",
            "HARMONY_TEST_SMB_USER",
            "HARMONY_TEST_SMB_PASSWORD",
        ],
    )?;
    let Connector::Smb(settings) = RepoSettings::from_url(&url).unwrap().connector else {
        panic!("not an smb URL: {url}");
    };
    Some(Env {
        settings,
        user,
        password,
    })
}

impl Env {
    fn config(&self) -> SmbConfig {
        let mut c = SmbConfig::new(&self.settings.server, &self.settings.share)
            .user(&self.user)
            .password(&self.password);
        c.port = self.settings.port;
        c
    }

    async fn repo(&self) -> SmbRepository {
        SmbRepository::connect(self.config())
            .await
            .expect("connect")
    }

    /// Runs `smbclient` commands on the share; panics with its output on failure.
    fn smbclient(&self, cmds: &str) -> String {
        let (ok, text) = self.smbclient_try(cmds);
        assert!(ok, "smbclient -c {cmds:?}: {text}");
        text
    }

    /// Runs `smbclient` commands on the share: success and output.
    fn smbclient_try(&self, cmds: &str) -> (bool, String) {
        let out = Command::new("smbclient")
            .arg(format!(
                "//{}/{}",
                self.settings.server, self.settings.share
            ))
            .args(["-p", &self.settings.port.unwrap_or(445).to_string()])
            .args(["-U", &format!("{}%{}", self.user, self.password)])
            .args(["-m", "SMB3", "-c", cmds])
            .output()
            .expect("run smbclient (apt-get install smbclient)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success() && !text.contains("NT_STATUS_"), text)
    }
}

fn k(s: &str) -> Key {
    Key::new(s).unwrap()
}

fn unique(name: &str) -> String {
    format!("smb-tests/{name}-{:016x}", rand::random::<u64>())
}

#[tokio::test(flavor = "multi_thread")]
async fn smbclient_and_library_read_each_others_files() {
    let Some(env) = env() else { return };
    let repo = env.repo().await;
    let dir = unique("interop");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("up.txt"), "written by smbclient").unwrap();
    env.smbclient(&format!(
        "mkdir smb-tests; mkdir {dir}; lcd {}; put up.txt {dir}/from-cli.txt",
        tmp.path().display()
    ));
    let key = k(&format!("{dir}/from-cli.txt"));
    let g = repo
        .get(&key)
        .await
        .expect("library reads smbclient's file");
    let v1 = g
        .meta
        .version
        .clone()
        .expect("a version for a foreign file");
    assert_eq!(g.bytes().await.unwrap(), "written by smbclient");
    // Compare-and-swap works on a file the library did not write.
    repo.put(&key, "updated".into(), PutMode::Update(v1.clone()))
        .await
        .expect("update a foreign file on its version");
    assert!(matches!(
        repo.put(&key, "stale".into(), PutMode::Update(v1)).await,
        Err(Error::Precondition(..))
    ));

    repo.put(
        &k(&format!("{dir}/sub/from-lib.txt")),
        "written by the library".into(),
        PutMode::Create,
    )
    .await
    .unwrap();
    env.smbclient(&format!(
        "lcd {}; get {dir}/sub/from-lib.txt down.txt; get {dir}/from-cli.txt again.txt",
        tmp.path().display()
    ));
    let read = |n: &str| std::fs::read_to_string(tmp.path().join(n)).unwrap();
    assert_eq!(read("down.txt"), "written by the library");
    assert_eq!(read("again.txt"), "updated");
    repo.delete_prefix(&k(&dir)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_of_a_crashed_writer_is_recovered() {
    let Some(env) = env() else { return };
    let repo = SmbRepository::connect(env.config().lock_stale_after(Duration::from_secs(2)))
        .await
        .expect("connect");
    let key = k(&unique("crashed"));
    // Another machine crashed while holding the key's lock: its lock file stays.
    let lock = repo.lock_path(&key).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("lock"), "crashed-writer 0\n").unwrap();
    env.smbclient(&format!("lcd {}; put lock {lock}", tmp.path().display()));
    // Readers wait for the writer, then give up on it (the key is missing).
    assert!(matches!(repo.head(&key).await, Err(Error::NotFound(_))));
    // A writer breaks the stale lock and goes on.
    repo.put(&key, "after the crash".into(), PutMode::Create)
        .await
        .expect("put after a crashed writer");
    assert_eq!(
        repo.get(&key).await.unwrap().bytes().await.unwrap(),
        "after the crash"
    );
    let (found, out) = env.smbclient_try(&format!("lcd {}; get {lock} back", tmp.path().display()));
    assert!(!found, "the lock was released: {out}");
    repo.delete(&key).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn names_are_stored_as_the_mapping_table_says() {
    let Some(env) = env() else { return };
    let repo = env.repo().await;
    let dir = unique("names");
    let table = [
        ("a:b?c*d.txt", "a%3Ab%3Fc%2Ad.txt"),
        ("trailing space ", "trailing space%20"),
        ("trailing dot.", "trailing dot%2E"),
        ("CON", "%43ON"),
        ("100%", "100%25"),
        ("pipe|<lt>\"q\"", "pipe%7C%3Clt%3E%22q%22"),
    ];
    for (key, _) in table {
        repo.put(
            &k(&format!("{dir}/{key}")),
            key.to_string().into(),
            PutMode::Create,
        )
        .await
        .unwrap_or_else(|e| panic!("{key:?}: {e}"));
    }
    let ls = env.smbclient(&format!("cd {dir}; ls"));
    for (key, stored) in table {
        assert!(ls.contains(stored), "{key:?} stored as {stored:?}:\n{ls}");
        let got = repo
            .get(&k(&format!("{dir}/{key}")))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert_eq!(got, key);
    }
    // A name written by another client decodes the same way.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("f"), "x").unwrap();
    env.smbclient(&format!(
        "lcd {}; put f \"{dir}/x%3Ay\"",
        tmp.path().display()
    ));
    let mut keys: Vec<String> = repo
        .list(Some(&k(&dir)))
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .unwrap();
    keys.sort();
    let mut want: Vec<String> = table
        .iter()
        .map(|(key, _)| format!("{dir}/{key}"))
        .collect();
    want.push(format!("{dir}/x:y"));
    want.sort();
    assert_eq!(keys, want);
    // The internal folder is reserved.
    assert!(matches!(
        repo.put(&k(".harmony-smb/x"), "x".into(), PutMode::Overwrite)
            .await,
        Err(Error::InvalidPath { .. })
    ));
    repo.delete_prefix(&k(&dir)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_differing_only_in_case_are_one_object() {
    let Some(env) = env() else { return };
    let repo = env.repo().await;
    let dir = unique("case");
    let upper = k(&format!("{dir}/Hosts/ACME.xml"));
    let lower = k(&format!("{dir}/hosts/acme.xml"));
    repo.put(&upper, "first".into(), PutMode::Create)
        .await
        .unwrap();
    // The server folds case: the lower-case key names the same file...
    assert_eq!(
        repo.get(&lower).await.unwrap().bytes().await.unwrap(),
        "first"
    );
    assert!(matches!(
        repo.put(&lower, "x".into(), PutMode::Create).await,
        Err(Error::AlreadyExists(_))
    ));
    // ...with the same version (metadata is keyed case-insensitively too).
    let v = repo.head(&upper).await.unwrap().version.unwrap();
    assert_eq!(repo.head(&lower).await.unwrap().version.unwrap(), v);
    repo.put(&lower, "second".into(), PutMode::Update(v))
        .await
        .unwrap();
    assert_eq!(
        repo.get(&upper).await.unwrap().bytes().await.unwrap(),
        "second"
    );
    // Listings show the spelling of the first write.
    let keys: Vec<String> = repo
        .list(Some(&k(&dir)))
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys, [upper.to_string()]);
    repo.delete(&lower).await.unwrap();
    assert!(repo
        .list(Some(&k(&dir)))
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_is_permission_denied_naming_the_repo_only() {
    let Some(env) = env() else { return };
    let mut c = env.config();
    c.password = Some(harmony_repo::settings::Secret::new("not-the-password-42"));
    let e = SmbRepository::connect(c.clone()).await.unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, Error::PermissionDenied(..)), "{e:?}");
    assert!(msg.contains(&c.url()), "{msg}");
    assert!(
        !msg.contains("not-the-password-42") && !format!("{e:?}").contains("not-the-password-42")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_share_is_a_clear_error() {
    let Some(env) = env() else { return };
    let mut c = env.config();
    c.share = "no-such-share".into();
    let e = SmbRepository::connect(c).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("no-such-share"), "{msg}");
    assert!(
        matches!(e, Error::NotFound(_) | Error::PermissionDenied(..)),
        "{e:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_file_and_url_open_the_share() {
    let Some(env) = env() else { return };
    let s = &env.settings;
    let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
    let yaml = format!(
        "---\ntype: smb\nconnectorProperties:\n  sharePath: //{}{port}/{}/settings-test\n  userName: {}\n  userPassword: {}\n  domain: WORKGROUP\n",
        s.server, s.share, env.user, env.password
    );
    let from_yaml = RepoSettings::from_yaml(&yaml, "cleo-runtime-repo").unwrap();
    assert_eq!(from_yaml.root_path.as_deref(), Some("settings-test"));
    let url = format!(
        "smb://{}:{}@{}{port}/{}/settings-test",
        env.user, env.password, s.server, s.share
    );
    let from_url = RepoSettings::from_url(&url).unwrap();
    let key = k(&unique("settings"));
    for (i, settings) in [from_yaml, from_url].iter().enumerate() {
        let repo = harmony_repo_smb::open(settings)
            .await
            .expect("open from settings");
        assert_eq!(repo.to_string(), env.config().url());
        assert!(!format!("{repo:?} {repo}").contains(&env.password));
        repo.put(&key, format!("{i}").into(), PutMode::Overwrite)
            .await
            .unwrap();
        assert_eq!(
            repo.get(&key).await.unwrap().bytes().await.unwrap(),
            format!("{i}")
        );
    }
    env.repo().await.delete(&key).await.unwrap();
}
