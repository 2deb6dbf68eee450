//! The tools run as an operator runs them: spawned processes on real folders.
use std::path::Path;
use std::process::{Command, Output};

fn run(bin: &str, cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(bin)
        .args(args)
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", cwd.join("cache"))
        .env_remove("HARMONY_REPO")
        .env_remove("CLEO_SYSTEM_NAME")
        .output()
        .expect("spawn");
    eprintln!(
        "$ {bin} {args:?}\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn sync(cwd: &Path, args: &[&str]) -> Output {
    run(env!("CARGO_BIN_EXE_config-sync"), cwd, args)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-config");

#[test]
fn push_diff_pull_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = sync(d, &["--system", "Demo", "--json", "push", SAMPLE]);
    assert!(out.status.success());
    assert_eq!(json(&out)["created"], 7);
    assert!(d
        .join("shared-config/Demo/hosts/initech partner+1.xml")
        .is_file());
    let out = sync(d, &["--system", "Demo", "diff", SAMPLE]);
    assert_eq!(out.status.code(), Some(0), "nothing to do");
    // Pull into a folder, change it, and see the change in diff and dry-run.
    assert!(sync(d, &["--system", "Demo", "pull", "copy"])
        .status
        .success());
    std::fs::write(d.join("copy/conf/Options.xml"), "changed").unwrap();
    std::fs::write(d.join("copy/new.txt"), "new").unwrap();
    let out = sync(d, &["--system", "Demo", "--json", "diff", "copy"]);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(
        (v["update"].as_u64(), v["create"].as_u64()),
        (Some(1), Some(1))
    );
    let out = sync(d, &["--system", "Demo", "--dry-run", "push", "copy"]);
    assert!(out.status.success());
    assert_ne!(
        std::fs::read_to_string(d.join("shared-config/Demo/conf/Options.xml")).unwrap(),
        "changed"
    );
    let out = sync(d, &["--system", "Demo", "--json", "push", "copy"]);
    assert_eq!(
        (
            json(&out)["updated"].as_u64(),
            json(&out)["created"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn push_delete_never_touches_runtime_trees_and_mirror_copies_systems() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(sync(d, &["--system", "S1", "push", SAMPLE])
        .status
        .success());
    // A node's runtime tree, registered the way harmony-repo registers it.
    std::fs::create_dir_all(d.join("shared-config/S1/harmony-1/mdn")).unwrap();
    std::fs::write(d.join("shared-config/S1/harmony-1/mdn/1.txt"), "receipt").unwrap();
    std::fs::create_dir_all(d.join("shared-config/S1/.harmony/runtime")).unwrap();
    std::fs::write(d.join("shared-config/S1/.harmony/runtime/harmony-1"), "{}").unwrap();
    std::fs::create_dir_all(d.join("small/hosts")).unwrap();
    std::fs::write(d.join("small/hosts/only.xml"), "x").unwrap();
    let out = sync(
        d,
        &["--system", "S1", "--json", "push", "--delete", "small"],
    );
    assert_eq!(json(&out)["deleted"], 7);
    assert!(
        d.join("shared-config/S1/harmony-1/mdn/1.txt").is_file(),
        "runtime tree kept"
    );
    let out = sync(
        d,
        &[
            "--system",
            "S1",
            "--json",
            "mirror",
            "shared-config",
            "other-repo",
        ],
    );
    assert!(out.status.success());
    assert!(d.join("other-repo/S1/hosts/only.xml").is_file());
    assert!(
        !d.join("other-repo/S1/harmony-1").exists(),
        "mirror copies configuration only"
    );
}

#[test]
fn migrate_copies_everything_verifies_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(sync(d, &["--system", "S1", "push", SAMPLE])
        .status
        .success());
    std::fs::create_dir_all(d.join("shared-config/S1/harmony-2/ids")).unwrap();
    std::fs::write(d.join("shared-config/S1/harmony-2/ids/42"), "msg-id").unwrap();
    let migrate = env!("CARGO_BIN_EXE_repo-migrate");
    let out = run(
        migrate,
        d,
        &["--system", "S1", "--json", "shared-config", "new-repo"],
    );
    assert!(out.status.success());
    assert_eq!(json(&out)["verified"], 8);
    assert!(d.join("new-repo/S1/harmony-2/ids/42").is_file());
    // An interrupted run left the destination partial: running again completes it.
    std::fs::remove_file(d.join("new-repo/S1/hosts/acme.xml")).unwrap();
    std::fs::write(d.join("new-repo/S1/conf/Users.xml"), "half-written by hand").unwrap();
    let out = run(
        migrate,
        d,
        &["--system", "S1", "--json", "shared-config", "new-repo"],
    );
    let v = json(&out);
    assert!(out.status.success());
    assert_eq!(
        (
            v["created"].as_u64(),
            v["updated"].as_u64(),
            v["verified"].as_u64()
        ),
        (Some(1), Some(1), Some(8))
    );
}

#[test]
fn bad_input_is_a_clear_error_and_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = sync(d, &["--repo", "ftp://host/x", "push", SAMPLE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scheme 'ftp'"));
    let out = sync(d, &["--system", "../etc", "push", SAMPLE]);
    assert_eq!(out.status.code(), Some(2));
    std::fs::write(
        d.join("cleo-config-repo"),
        "type: s3\nconnectorProperties:\n  region: x\n",
    )
    .unwrap();
    let out = sync(d, &["--repo", "cleo-config-repo", "push", SAMPLE]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cleo-config-repo") && err.contains("connectorProperties.bucket"),
        "{err}"
    );
}
