//! Azure-specific tests against `HARMONY_TEST_AZURE_*` (Azurite in CI, or a real account).
mod cases;
mod common;

use harmony_repo::settings::{AzureSettings, Connector, RepoSettings, Secret};
use harmony_repo::{Error, Key, Prefixed, PutMode, Repository};
use harmony_repo_object_store::object_store::azure::MicrosoftAzureBuilder;
use harmony_repo_object_store::object_store::{path::Path, ObjectStore, ObjectStoreExt};
use harmony_repo_object_store::{open, ObjectStoreRepository, Tuning, AZURE_KEY_VARS};
use std::sync::Arc;

fn yaml(s: &AzureSettings, root: &str, key: Option<&str>, blob_type: &str) -> String {
    let mut y = format!(
        "---\ntype: AzureBlob\nrootPath: /{root}\nconnectorProperties:\n  storageAccountName: {}\n  container: {}\n  blobType: {blob_type}\n",
        s.account, s.container
    );
    if let Some(ep) = &s.endpoint {
        y.push_str(&format!("  endpoint: {ep}\n"));
    }
    if let Some(k) = key {
        y.push_str(&format!("  accessKey: {k}\n"));
    }
    y
}

fn key_of(s: &AzureSettings) -> String {
    s.access_key.as_ref().unwrap().expose().to_string()
}

/// An independent client, to see where objects really landed.
fn raw(s: &AzureSettings) -> Arc<dyn ObjectStore> {
    let mut b = MicrosoftAzureBuilder::new()
        .with_account(&s.account)
        .with_container_name(&s.container)
        .with_access_key(key_of(s));
    if let Some(ep) = &s.endpoint {
        b = b.with_endpoint(ep.clone()).with_allow_http(true);
    }
    Arc::new(b.build().unwrap())
}

async fn open_rooted(settings: &RepoSettings) -> harmony_repo::Result<Arc<dyn Repository>> {
    let root = open(settings).await?;
    Ok(match settings.root_prefix()? {
        Some(p) => Arc::new(Prefixed::new(root, p)),
        None => root,
    })
}

fn settings_of(s: AzureSettings) -> RepoSettings {
    RepoSettings {
        source: "cleo-config-repo".into(),
        root_path: None,
        connector: Connector::AzureBlob(s),
        advanced: Default::default(),
        unknown: Default::default(),
    }
}

#[tokio::test]
async fn settings_file_opens_container_and_prefix() {
    let Some(s) = common::azure_settings() else {
        return;
    };
    let root = format!("it-settings-{}", common::unique());
    let text = yaml(&s, &root, Some(&key_of(&s)), "BLOCK_BLOB");
    let settings = RepoSettings::from_yaml(&text, "cleo-config-repo").unwrap();
    let repo = open_rooted(&settings).await.unwrap();
    assert_eq!(
        repo.to_string(),
        format!("az://{}/{}/{root}", s.account, s.container)
    );
    repo.put(
        &Key::new("hosts/acme.xml").unwrap(),
        "<host/>".into(),
        PutMode::Create,
    )
    .await
    .unwrap();
    let raw = raw(&s);
    let p = Path::from(format!("{root}/hosts/acme.xml"));
    assert_eq!(raw.get(&p).await.unwrap().bytes().await.unwrap(), "<host/>");
    raw.delete(&p).await.unwrap();
}

#[tokio::test]
async fn other_blob_types_are_refused() {
    let Some(s) = common::azure_settings() else {
        return;
    };
    for t in ["APPEND_BLOB", "PAGE_BLOB"] {
        let settings =
            RepoSettings::from_yaml(&yaml(&s, "x", None, t), "cleo-config-repo").unwrap();
        match open(&settings).await {
            Err(e @ Error::InvalidSettings { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("connectorProperties.blobType") && text.contains(t),
                    "{text}"
                );
            }
            other => panic!("{t}: {:?}", other.map(|r| r.to_string())),
        }
    }
}

#[tokio::test]
async fn credentials_from_the_environment() {
    let Some(s) = common::azure_settings() else {
        return;
    };
    let root = format!("it-env-{}", common::unique());
    let settings =
        RepoSettings::from_yaml(&yaml(&s, &root, None, "BLOCK_BLOB"), "cleo-config-repo").unwrap();
    // Only this test touches these variables. A wrong key first: the one from the
    // environment is really the one used.
    std::env::set_var(AZURE_KEY_VARS[0], "d3JvbmcK");
    assert!(
        matches!(open(&settings).await, Err(Error::PermissionDenied(..))),
        "wrong key from the environment"
    );
    std::env::set_var(AZURE_KEY_VARS[0], key_of(&s));
    let repo = open_rooted(&settings).await;
    std::env::remove_var(AZURE_KEY_VARS[0]);
    let repo = repo.unwrap();
    repo.put(&Key::new("f").unwrap(), "x".into(), PutMode::Overwrite)
        .await
        .unwrap();
    repo.delete(&Key::new("f").unwrap()).await.unwrap();
}

#[tokio::test]
async fn wrong_key_is_permission_denied_without_the_key() {
    let Some(mut s) = common::azure_settings() else {
        return;
    };
    // Valid base64, wrong key.
    let wrong = "V3JvbmdLZXlUaGF0TXVzdE5vdExlYWsxMjM0NTY3ODkwMTIzNDU2Nzg5MA==";
    s.access_key = Some(Secret::new(wrong));
    match open(&settings_of(s.clone())).await {
        Err(e @ Error::PermissionDenied(..)) => {
            let text = format!("{e} {e:?} {:?}", std::error::Error::source(&e));
            assert!(
                text.contains(&format!("az://{}/{}", s.account, s.container)),
                "names the repository: {text}"
            );
            assert!(!text.contains(wrong), "leaks the key: {text}");
        }
        other => panic!("wrong key: {:?}", other.map(|r| r.to_string())),
    }
    let repo = ObjectStoreRepository::azure(&s, Tuning::default()).unwrap();
    assert!(
        !format!("{repo:?} {repo}").contains(wrong),
        "Debug and Display hide the key"
    );
}

#[tokio::test]
async fn missing_container_is_a_clear_error() {
    let Some(mut s) = common::azure_settings() else {
        return;
    };
    s.container = format!("missing-{}", common::unique());
    match open(&settings_of(s.clone())).await {
        Err(e @ Error::Backend(..)) => {
            let t = e.to_string();
            assert!(
                t.contains(&format!("the container '{}' does not exist", s.container)),
                "{t}"
            );
        }
        other => panic!("missing container: {:?}", other.map(|r| r.to_string())),
    }
    let repo = ObjectStoreRepository::azure(&s, Tuning::default()).unwrap();
    for r in [
        repo.put(&Key::new("a").unwrap(), "x".into(), PutMode::Overwrite)
            .await
            .map(|_| ()),
        repo.get(&Key::new("a").unwrap()).await.map(|_| ()),
    ] {
        match r {
            Err(e @ Error::Backend(..)) => assert!(e.to_string().contains("does not exist"), "{e}"),
            other => panic!("missing container: {other:?}"),
        }
    }
}

async fn tuned(t: Tuning) -> Option<(Arc<ObjectStoreRepository>, String)> {
    let s = common::azure_settings()?;
    Some((
        Arc::new(ObjectStoreRepository::azure(&s, t).unwrap()),
        format!("it-{}", common::unique()),
    ))
}

#[tokio::test]
async fn large_create_is_atomic() {
    let Some((r, p)) = tuned(cases::small_tuning()).await else {
        return;
    };
    cases::large_create_is_atomic(r, &p, true).await;
}

#[tokio::test]
async fn large_update_limits() {
    let Some((r, p)) = tuned(cases::small_tuning()).await else {
        return;
    };
    cases::large_update_limits(r, &p).await;
}

#[tokio::test]
async fn cancelled_put_leaves_nothing() {
    let Some((r, p)) = tuned(cases::small_tuning()).await else {
        return;
    };
    cases::cancelled_put_leaves_nothing(r, &p).await;
}

#[tokio::test]
async fn reserved_segment_hidden() {
    let Some((r, p)) = tuned(Tuning::default()).await else {
        return;
    };
    cases::reserved_segment_hidden(r, &p).await;
}

#[tokio::test]
async fn concurrency_limit_of_one() {
    let t = Tuning {
        max_concurrency: 1,
        ..cases::small_tuning()
    };
    let Some((r, p)) = tuned(t).await else { return };
    cases::concurrency_limit_of_one(r, &p).await;
}
