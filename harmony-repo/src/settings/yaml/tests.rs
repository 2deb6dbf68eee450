use super::*;

const S3: &str = "---
type: s3
rootPath: /shared-config
connectorProperties:
  bucket: harmony-bucket
  region: us-east-2
  protocol: HTTPS
  accessKey: AKIAEXAMPLE
  secretAccessKey: wJalrSECRETKEY
advancedProperties:
  outboxSort: Date/Time Modified
  someFutureKnob: 12
";

#[test]
fn s3_file_parses_and_keeps_advanced() {
    let s = parse(S3, "cleo-config-repo").unwrap();
    assert_eq!(s.root_prefix().unwrap().unwrap().as_str(), "shared-config");
    let Connector::S3(c) = &s.connector else {
        panic!("{s:?}")
    };
    assert_eq!(
        (c.bucket.as_str(), c.region.as_deref(), c.https),
        ("harmony-bucket", Some("us-east-2"), true)
    );
    assert_eq!(
        c.secret_access_key.as_ref().unwrap().expose(),
        "wJalrSECRETKEY"
    );
    assert_eq!(s.advanced["outboxSort"], "Date/Time Modified");
    assert_eq!(s.advanced["someFutureKnob"], "12");
    let dbg = format!("{s:?}");
    assert!(
        !dbg.contains("wJalrSECRETKEY") && !dbg.contains("AKIAEXAMPLE"),
        "{dbg}"
    );
}

#[test]
fn type_matches_any_case() {
    for t in ["AzureBlob", "azureblob", "AZUREBLOB"] {
        let y = format!("type: {t}\nrootPath: r\nconnectorProperties:\n  storageAccountName: acct\n  accessKey: k\n  container: c\n  blobType: BLOCK_BLOB\n");
        assert!(matches!(
            parse(&y, "f").unwrap().connector,
            Connector::AzureBlob(_)
        ));
    }
}

#[test]
fn gcp_key_block_string_is_secret() {
    let y = "---\ntype: GCPBucket\nrootPath: /shared-config\nconnectorProperties:\n  bucketName: b\n  projectId: p\n  googleAccountKey: |\n    {\n      \"type\": \"service_account\",\n      \"private_key\": \"-----BEGIN PRIVATE KEY-----XYZ\"\n    }\n";
    let s = parse(y, "f").unwrap();
    let Connector::Gcs(g) = &s.connector else {
        panic!()
    };
    assert!(g
        .account_key
        .as_ref()
        .unwrap()
        .expose()
        .contains("service_account"));
    assert!(!format!("{s:?}").contains("PRIVATE"));
}

#[test]
fn file_and_smb() {
    let s = parse(
        "type: file\nconnectorProperties:\n  rootPath: /mnt/efs\n",
        "f",
    )
    .unwrap();
    assert_eq!(
        s.connector,
        Connector::File {
            root: "/mnt/efs".into()
        }
    );
    let y = "type: smb\nconnectorProperties:\n  sharePath: //fs.example.com:4455/harmony/shared-config\n  userName: svc\n  userPassword: p@ss\n  domain: CORP\n";
    let s = parse(y, "f").unwrap();
    let Connector::Smb(c) = &s.connector else {
        panic!()
    };
    assert_eq!(
        (c.server.as_str(), c.port, c.share.as_str()),
        ("fs.example.com", Some(4455), "harmony")
    );
    assert_eq!(s.root_path.as_deref(), Some("shared-config"));
    assert_eq!(c.domain.as_deref(), Some("CORP"));
    assert!(!format!("{s:?}").contains("p@ss"));
}

#[test]
fn unknown_keys_are_kept_not_fatal() {
    let y = "type: s3\nrootPath: r\nfutureTop: 1\nconnectorProperties:\n  bucket: b\n  sessionToken: TOKEN\n";
    let s = parse(y, "f").unwrap();
    assert!(s.unknown.contains_key("futureTop"));
    assert_eq!(
        s.unknown["connectorProperties.sessionToken"].expose(),
        "TOKEN"
    );
    assert!(!format!("{s:?}").contains("TOKEN"));
}

#[test]
fn errors_name_file_key_and_expectation() {
    let cases = [
        (
            "type: s3\nconnectorProperties:\n  region: x\n",
            "connectorProperties.bucket",
            "bucket name",
        ),
        ("connectorProperties: {}\n", "'type'", "one of"),
        ("type: ftp\n", "'type'", "unknown type 'ftp'"),
        (
            "type: s3\nconnectorProperties: [1, 2]\n",
            "connectorProperties",
            "mapping",
        ),
        (
            "type: s3\nconnectorProperties:\n  bucket: b\n  protocol: FTP\n",
            "connectorProperties.protocol",
            "HTTPS or HTTP",
        ),
        (
            "type: s3\nconnectorProperties:\n  bucket: [a]\n",
            "connectorProperties.bucket",
            "text",
        ),
        (
            "type: smb\nconnectorProperties:\n  sharePath: server\n",
            "sharePath",
            "//server",
        ),
        (
            "type: s3\nrootPath: a/../b\nconnectorProperties:\n  bucket: b\n",
            "rootPath",
            "'..'",
        ),
        ("type: [s3\n", "/var/secrets/cleo-config-repo", "YAML"),
        ("", "/var/secrets/cleo-config-repo", "empty"),
    ];
    for (y, key, what) in cases {
        let e = parse(y, "/var/secrets/cleo-config-repo")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("/var/secrets/cleo-config-repo"), "{e}");
        assert!(e.contains(key) && e.contains(what), "{y:?}: {e}");
    }
}

#[test]
fn secret_never_in_error() {
    let y = "type: s3\nconnectorProperties:\n  bucket: b\n  secretAccessKey: [TOPSECRET]\n";
    let e = parse(y, "f").unwrap_err().to_string();
    assert!(
        e.contains("secretAccessKey") && !e.contains("TOPSECRET"),
        "{e}"
    );
}

#[test]
fn urls() {
    let s =
        RepoSettings::from_url("smb://svc:pw@127.0.0.1:14450/share/sub%20dir?domain=WG").unwrap();
    let Connector::Smb(c) = &s.connector else {
        panic!()
    };
    assert_eq!(
        (c.port, c.share.as_str(), c.user.as_deref()),
        (Some(14450), "share", Some("svc"))
    );
    assert_eq!(s.root_path.as_deref(), Some("sub dir"));
    assert!(!s.source.contains("pw") && !format!("{s:?}").contains(":pw"));
    let s = RepoSettings::from_url(
        "az://devstoreaccount1/cont/pre/fix?endpoint=http://127.0.0.1:10000/devstoreaccount1",
    )
    .unwrap();
    let Connector::AzureBlob(a) = &s.connector else {
        panic!()
    };
    assert_eq!(
        (a.container.as_str(), s.root_path.as_deref()),
        ("cont", Some("pre/fix"))
    );
    assert!(a.endpoint.is_some());
    let s = RepoSettings::from_url("gs://bkt").unwrap();
    assert!(matches!(s.connector, Connector::Gcs(_)) && s.root_path.is_none());
    let s = RepoSettings::from_url("file:///srv/repo").unwrap();
    assert_eq!(
        s.connector,
        Connector::File {
            root: "/srv/repo".into()
        }
    );
    assert!(RepoSettings::from_url("ftp://x/y")
        .unwrap_err()
        .to_string()
        .contains("scheme"));
}

#[test]
fn env_reads_secrets_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cleo-config-repo"), S3).unwrap();
    let d = dir.path().to_str().unwrap().to_string();
    let var = |k: &str| match k {
        "CLEO_SYSTEM_NAME" => Some("System1".to_string()),
        "HOSTNAME" => Some("harmony-1".to_string()),
        "CLEO_SECRETS_MOUNT_POINT" => Some(d.clone()),
        _ => None,
    };
    let env = HarmonyEnv::from_vars(var).unwrap();
    assert_eq!(
        (env.system.as_str(), env.host.as_str()),
        ("System1", "harmony-1")
    );
    assert!(env.runtime.is_none());
    let e = HarmonyEnv::from_vars(|k| (k == "CLEO_SYSTEM_NAME").then(|| "a/b".to_string()))
        .unwrap_err();
    assert!(e.to_string().contains("CLEO_SYSTEM_NAME"), "{e}");
}
