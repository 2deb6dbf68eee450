//! Settings files and the node environment open the right place.
use futures::TryStreamExt;
use harmony_repo_any::settings::HarmonyEnv;
use harmony_repo_any::{open_location, open_node, Key, PutMode, Repository};

#[tokio::test]
async fn node_from_secrets_folder_uses_both_trees() {
    let secrets = tempfile::tempdir().unwrap();
    let shared = tempfile::tempdir().unwrap();
    // The vendor's example: both repositories on one root.
    let yaml = format!(
        "---\ntype: file\nconnectorProperties:\n  rootPath: {}\n",
        shared.path().display()
    );
    std::fs::write(secrets.path().join("cleo-config-repo"), &yaml).unwrap();
    std::fs::write(secrets.path().join("cleo-runtime-repo"), &yaml).unwrap();
    let dir = secrets.path().to_str().unwrap().to_string();
    let env = HarmonyEnv::from_vars(|k| match k {
        "CLEO_SYSTEM_NAME" => Some("System1".into()),
        "HOSTNAME" => Some("harmony-0".into()),
        "CLEO_SECRETS_MOUNT_POINT" => Some(dir.clone()),
        _ => None,
    })
    .unwrap();
    let node = open_node(&env).await.unwrap();
    node.config
        .put(
            &Key::new("hosts/a.xml").unwrap(),
            "a".into(),
            PutMode::Create,
        )
        .await
        .unwrap();
    let rt = node.runtime.as_ref().unwrap();
    rt.put(&Key::new("ids/1").unwrap(), "1".into(), PutMode::Create)
        .await
        .unwrap();
    assert!(shared.path().join("System1/hosts/a.xml").is_file());
    assert!(shared.path().join("System1/harmony-0/ids/1").is_file());
    let keys: Vec<String> = node
        .config
        .list(None)
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys, ["hosts/a.xml"]);
}

#[tokio::test]
async fn settings_file_with_root_path_and_missing_backend() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cleo-config-repo");
    std::fs::write(
        &f,
        format!(
            "type: FILE\nrootPath: sub/dir\nconnectorProperties:\n  rootPath: {}\n",
            dir.path().display()
        ),
    )
    .unwrap();
    let repo = open_location(f.to_str().unwrap()).await.unwrap();
    repo.put(&Key::new("x").unwrap(), "x".into(), PutMode::Create)
        .await
        .unwrap();
    assert!(dir.path().join("sub/dir/x").is_file());
    let e = open_location("ftp://nowhere/x")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("scheme"), "{e}");
}
