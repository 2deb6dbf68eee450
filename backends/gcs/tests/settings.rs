//! Settings: the vendor's `GCPBucket` YAML (with its `googleAccountKey` block), `gs://`
//! URLs, credentials, and the errors a wrong setting gives. Runs against fake-gcs-server.
mod common;

use harmony_repo::settings::{Connector, RepoSettings};
use harmony_repo::{Error, Key, Prefixed, PutMode, Repository};
use harmony_repo_gcs::{GcsAuth, GcsBuilder, KEY_SETTING};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The vendor's settings file, with the key as a YAML block string.
fn vendor_yaml(bucket: &str, root: &str, key_json: &str) -> String {
    let indented: String = key_json.lines().map(|l| format!("    {l}\n")).collect();
    format!(
        "---\ntype: GCPBucket\nrootPath: /{root}\nconnectorProperties:\n  bucketName: {bucket}\n  projectId: harmony-test-project\n  googleAccountKey: |\n{indented}advancedProperties:\n  cacheSize: 10\n"
    )
}

fn pretty(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).expect("json");
    serde_json::to_string_pretty(&v).expect("pretty")
}

fn with_endpoint(mut s: RepoSettings, endpoint: &str) -> RepoSettings {
    if let Connector::Gcs(g) = &mut s.connector {
        g.endpoint = Some(endpoint.to_string());
    }
    s
}

#[tokio::test]
async fn vendor_yaml_with_key_opens_the_right_bucket_and_prefix() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let tokens = common::TokenServer::start(true).await;
    let key = pretty(&common::service_account_key(&tokens.url));
    let private = key_fragment(&key);
    let root = common::unique("vendor");
    let s = RepoSettings::from_yaml(&vendor_yaml(&bucket, &root, &key), "cleo-config-repo")
        .expect("parse vendor YAML");
    let Connector::Gcs(g) = &s.connector else {
        panic!("{s:?}")
    };
    assert_eq!(g.bucket, bucket);
    assert_eq!(g.project_id.as_deref(), Some("harmony-test-project"));
    assert_eq!(
        g.account_key.as_ref().map(|k| pretty(k.expose())),
        Some(key.clone())
    );
    assert!(
        !format!("{s:?}").contains(&private),
        "settings Debug shows the key"
    );

    // The vendor file has no endpoint: point it at the emulator, keep the key.
    let s = with_endpoint(s, &endpoint);
    let b = GcsBuilder::from_settings(
        match &s.connector {
            Connector::Gcs(g) => g,
            _ => unreachable!(),
        },
        &s.source,
    )
    .expect("builder");
    b.clone().build().await.expect("build from the builder");
    assert!(
        !format!("{b:?}").contains(&private),
        "builder Debug shows the key"
    );

    let repo = harmony_repo_gcs::open(&s).await.expect("open with the key");
    assert!(
        tokens.requests.load(Ordering::SeqCst) >= 1,
        "a token was fetched with the key"
    );
    assert_eq!(repo.to_string(), format!("gs://{bucket}"));
    assert!(
        !format!("{repo:?}").contains(&private),
        "repo Debug shows the key"
    );
    let view: Arc<dyn Repository> = Arc::new(Prefixed::new(
        repo.clone(),
        s.root_prefix().expect("root").expect("some root"),
    ));
    let k = Key::new("hosts/acme.xml").unwrap();
    view.put(&k, "<host/>".into(), PutMode::Create)
        .await
        .expect("put");
    let full = Key::new(format!("{root}/hosts/acme.xml")).unwrap();
    assert_eq!(
        repo.get(&full).await.unwrap().bytes().await.unwrap(),
        "<host/>"
    );
    repo.delete_prefix(&Key::new(root).unwrap()).await.unwrap();
}

/// A recognisable piece of the private key (never expected in any output).
fn key_fragment(key_json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(key_json).unwrap();
    let pem = v["private_key"].as_str().unwrap();
    pem.lines().nth(3).unwrap().to_string()
}

#[tokio::test]
async fn refused_key_is_permission_denied_naming_the_bucket_not_the_key() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let tokens = common::TokenServer::start(false).await;
    let key = common::service_account_key(&tokens.url);
    let private = key_fragment(&key);
    let s = RepoSettings::from_yaml(
        &vendor_yaml(&bucket, "x", &pretty(&key)),
        "cleo-config-repo",
    )
    .unwrap();
    let e = harmony_repo_gcs::open(&with_endpoint(s, &endpoint))
        .await
        .expect_err("a refused key must fail");
    assert!(matches!(e, Error::PermissionDenied(..)), "{e:?}");
    let shown = format!("{e} {e:?}");
    assert!(shown.contains(&format!("gs://{bucket}")), "{shown}");
    assert!(!shown.contains(&private), "the error shows the key");
}

#[tokio::test]
async fn malformed_key_is_invalid_settings_naming_the_setting() {
    for (bad, what) in [
        (
            "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN SECRETSECRET",
            "truncated JSON",
        ),
        ("just some text SECRETSECRET", "not JSON"),
        ("{\"private_key\": \"SECRETSECRET\"}", "no type"),
        (
            "{\"type\": \"service_account\", \"private_key\": \"SECRETSECRET\"}",
            "no client_email",
        ),
    ] {
        let yaml = vendor_yaml("bkt", "r", bad);
        let s = RepoSettings::from_yaml(&yaml, "cleo-config-repo").expect("YAML is fine");
        let e = harmony_repo_gcs::open(&s).await.expect_err(what);
        match &e {
            Error::InvalidSettings {
                source_name, key, ..
            } => {
                assert_eq!(key, KEY_SETTING, "{what}");
                assert_eq!(source_name, "cleo-config-repo");
            }
            other => panic!("{what}: expected InvalidSettings, got {other:?}"),
        }
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("SECRETSECRET"),
            "{what}: the error shows the key: {shown}"
        );
        assert!(
            shown.contains("connectorProperties.googleAccountKey"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn gs_url_with_endpoint_opens_the_bucket_and_prefix() {
    let Some((endpoint, bucket)) = common::emulator() else {
        return;
    };
    let root = common::unique("url");
    let s =
        RepoSettings::from_url(&format!("gs://{bucket}/{root}?endpoint={endpoint}")).expect("URL");
    assert_eq!(s.root_path.as_deref(), Some(root.as_str()));
    let repo = harmony_repo_gcs::open(&s)
        .await
        .expect("open anonymous on the emulator");
    let view = Prefixed::new(repo.clone(), s.root_prefix().unwrap().unwrap());
    view.put(&Key::new("a.txt").unwrap(), "A".into(), PutMode::Overwrite)
        .await
        .unwrap();
    let h = repo
        .head(&Key::new(format!("{root}/a.txt")).unwrap())
        .await
        .unwrap();
    assert_eq!(h.size, 1);
    assert_eq!(
        h.digest,
        Some(harmony_repo::Digest::md5(b"A")),
        "digest from md5Hash"
    );
    repo.delete_prefix(&Key::new(root).unwrap()).await.unwrap();
}

#[tokio::test]
async fn missing_bucket_is_a_clear_not_found() {
    let Some((endpoint, _)) = common::emulator() else {
        return;
    };
    let e = GcsBuilder::new("no-such-bucket-harmony")
        .endpoint(endpoint)
        .auth(GcsAuth::Anonymous)
        .build()
        .await
        .expect_err("missing bucket");
    assert!(matches!(e, Error::NotFound(_)), "{e:?}");
    assert_eq!(e.to_string(), "gs://no-such-bucket-harmony: not found");
}

#[tokio::test]
async fn unreachable_endpoint_is_unavailable() {
    // A port nobody listens on (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = GcsBuilder::new("b")
        .endpoint(format!("http://127.0.0.1:{port}"))
        .auth(GcsAuth::Anonymous)
        .build()
        .await
        .expect_err("nothing listens");
    assert!(e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn other_connector_types_are_refused() {
    let s = RepoSettings::from_url("s3://bkt/x").unwrap();
    let e = harmony_repo_gcs::open(&s).await.expect_err("not GCS");
    assert!(
        matches!(e, Error::InvalidSettings { ref key, .. } if key == "type"),
        "{e:?}"
    );
}
