//! config-sync and repo-migrate as an operator runs them, against every server backend:
//! push, a no-op re-push, diff, and a migration from one backend to the next.
use harmony_repo::conformance::server_env;
use std::process::{Command, Output};

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-config");

/// A server as the tools reach it: its name, a URL, and the environment it needs.
type Endpoint = (&'static str, String, Vec<(&'static str, String)>);

/// Every configured server; unconfigured ones skip loudly (or fail under HARMONY_REQUIRE_SERVERS=1).
fn endpoints(prefix: &str) -> Vec<Endpoint> {
    let mut out = vec![];
    if let Some([ep, bucket, region, ak, sk]) = server_env(
        "S3",
        [
            "HARMONY_TEST_S3_ENDPOINT",
            "HARMONY_TEST_S3_BUCKET",
            "HARMONY_TEST_S3_REGION",
            "HARMONY_TEST_S3_ACCESS_KEY",
            "HARMONY_TEST_S3_SECRET_KEY",
        ],
    ) {
        let url = format!("s3://{bucket}/{prefix}?endpoint={ep}&region={region}");
        out.push((
            "s3",
            url,
            vec![("AWS_ACCESS_KEY_ID", ak), ("AWS_SECRET_ACCESS_KEY", sk)],
        ));
    }
    if let Some([ep, account, key, container]) = server_env(
        "Azure",
        [
            "HARMONY_TEST_AZURE_ENDPOINT",
            "HARMONY_TEST_AZURE_ACCOUNT",
            "HARMONY_TEST_AZURE_KEY",
            "HARMONY_TEST_AZURE_CONTAINER",
        ],
    ) {
        let url = format!("az://{account}/{container}/{prefix}?endpoint={ep}");
        out.push(("azureblob", url, vec![("AZURE_STORAGE_ACCOUNT_KEY", key)]));
    }
    if let Some([ep, bucket]) = server_env(
        "GCS",
        ["HARMONY_TEST_GCS_ENDPOINT", "HARMONY_TEST_GCS_BUCKET"],
    ) {
        out.push((
            "gcpbucket",
            format!("gs://{bucket}/{prefix}?endpoint={ep}"),
            vec![],
        ));
    }
    if let Some([url, user, pw]) = server_env(
        "SMB",
        [
            "HARMONY_TEST_SMB_URL",
            "HARMONY_TEST_SMB_USER",
            "HARMONY_TEST_SMB_PASSWORD",
        ],
    ) {
        let rest = url.trim_start_matches("smb://");
        out.push(("smb", format!("smb://{user}:{pw}@{rest}/{prefix}"), vec![]));
    }
    out
}

fn run(bin: &str, env: &[(&str, String)], cache: &std::path::Path, args: &[&str]) -> Output {
    let out = Command::new(bin)
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("XDG_CACHE_HOME", cache)
        .output()
        .expect("spawn");
    eprintln!(
        "$ {args:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

#[test]
fn tools_against_every_server() {
    let cache = tempfile::tempdir().unwrap();
    let prefix = format!(
        "tools-{:x}",
        std::process::id() as u64 * 7919 + cache.path().as_os_str().len() as u64
    );
    let eps = endpoints(&prefix);
    let sync = env!("CARGO_BIN_EXE_config-sync");
    let all_env: Vec<(&str, String)> = eps.iter().flat_map(|(_, _, e)| e.clone()).collect();
    for (name, url, env) in &eps {
        let out = run(
            sync,
            env,
            cache.path(),
            &["--repo", url, "--system", "Demo", "--json", "push", SAMPLE],
        );
        assert!(out.status.success(), "{name}: push");
        assert_eq!(json(&out)["created"], 7, "{name}");
        let out = run(
            sync,
            env,
            cache.path(),
            &["--repo", url, "--system", "Demo", "--json", "push", SAMPLE],
        );
        assert_eq!(
            (
                json(&out)["created"].as_u64(),
                json(&out)["unchanged"].as_u64()
            ),
            (Some(0), Some(7)),
            "{name}"
        );
        let out = run(
            sync,
            env,
            cache.path(),
            &["--repo", url, "--system", "Demo", "diff", SAMPLE],
        );
        assert_eq!(out.status.code(), Some(0), "{name}: diff");
    }
    // Migrate the whole system along the chain of backends, verifying each hop.
    for pair in eps.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        let out = run(
            env!("CARGO_BIN_EXE_repo-migrate"),
            &all_env,
            cache.path(),
            &["--system", "Demo", "--json", &from.1, &to.1],
        );
        assert!(out.status.success(), "{} -> {}", from.0, to.0);
        assert_eq!(json(&out)["verified"], 7, "{} -> {}", from.0, to.0);
    }
}
