//! Behaviour only a folder has: locks, processes sharing the folder, digests, names.
use harmony_repo::{Digest, Error, Key, PutMode, Repository};
use harmony_repo_file::{FileRepository, LockConfig};
use std::time::{Duration, SystemTime};

fn k(s: &str) -> Key {
    Key::new(s).unwrap()
}

#[tokio::test]
async fn stale_lock_is_recovered_and_a_live_one_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let locks = LockConfig {
        stale_after: Duration::from_millis(300),
        max_wait: Duration::from_millis(150),
    };
    let repo = FileRepository::new(dir.path()).with_locks(locks);
    let key = k("conf/options.xml");
    let lock = repo.lock_path(&key);
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    // A fresh lock held by someone else: the write waits, then reports Unavailable.
    std::fs::write(&lock, "pid=1 host=crashed\n").unwrap();
    let e = repo
        .put(&key, "x".into(), PutMode::Overwrite)
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e}");
    // The same lock, older than stale_after, is a crashed writer's: it is broken.
    let old = SystemTime::now() - Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(old)
        .unwrap();
    repo.put(&key, "y".into(), PutMode::Overwrite)
        .await
        .expect("stale lock recovered");
    assert_eq!(repo.get(&key).await.unwrap().bytes().await.unwrap(), "y");
    assert!(!lock.exists(), "lock released");
}

#[tokio::test]
async fn digest_is_recorded_and_dropped_when_edited_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let repo = FileRepository::new(dir.path());
    let m = repo
        .put(&k("a.txt"), "hello".into(), PutMode::Create)
        .await
        .unwrap();
    if m.digest.is_none() {
        eprintln!(
            "SKIPPED: extended attributes unsupported on {}",
            dir.path().display()
        );
        return;
    }
    assert_eq!(m.digest, Some(Digest::md5(b"hello")));
    // Another program edits the file in place: the stale digest must not be reported.
    std::thread::sleep(Duration::from_millis(5));
    std::fs::write(dir.path().join("a.txt"), "HELLO").unwrap();
    let h = repo.head(&k("a.txt")).await.unwrap();
    assert_ne!(h.digest, Some(Digest::md5(b"hello")));
    assert_ne!(h.version, m.version);
}

#[tokio::test]
async fn reserved_folder_and_file_folder_clash() {
    let dir = tempfile::tempdir().unwrap();
    let repo = FileRepository::new(dir.path());
    let e = repo
        .put(&k(".harmony-repo/x"), "x".into(), PutMode::Overwrite)
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidPath { .. }), "{e}");
    repo.put(&k("a"), "file".into(), PutMode::Overwrite)
        .await
        .unwrap();
    let e = repo
        .put(&k("a/b"), "x".into(), PutMode::Overwrite)
        .await
        .unwrap_err();
    assert!(
        e.to_string().contains("parent of this key is an object"),
        "{e}"
    );
    repo.put(&k("d/e"), "x".into(), PutMode::Overwrite)
        .await
        .unwrap();
    let e = repo
        .put(&k("d"), "x".into(), PutMode::Overwrite)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("folder"), "{e}");
    // Files dropped in by other programs are listed; the reserved folder is not.
    std::fs::write(dir.path().join("plain.txt"), "p").unwrap();
    use futures::TryStreamExt;
    let keys: Vec<String> = repo
        .list(None)
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(keys, ["a", "d/e", "plain.txt"]);
}

const WORKER_DIR: &str = "HARMONY_FILE_CAS_WORKER_DIR";

/// Run by `cas_between_processes` in child processes; does nothing otherwise.
#[tokio::test]
async fn cas_worker() {
    let Ok(dir) = std::env::var(WORKER_DIR) else {
        return;
    };
    let repo = FileRepository::new(dir);
    let key = k("counter");
    let mut done = 0;
    while done < 50 {
        let g = repo.get(&key).await.unwrap();
        let v = g.meta.version.clone().unwrap();
        let n: u64 = String::from_utf8(g.bytes().await.unwrap().to_vec())
            .unwrap()
            .parse()
            .unwrap();
        match repo
            .put(&key, (n + 1).to_string().into(), PutMode::Update(v))
            .await
        {
            Ok(_) => done += 1,
            Err(Error::Precondition(..)) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

#[tokio::test]
async fn cas_between_processes() {
    let dir = tempfile::tempdir().unwrap();
    let repo = FileRepository::new(dir.path());
    repo.put(&k("counter"), "0".into(), PutMode::Create)
        .await
        .unwrap();
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "cas_worker", "--nocapture"])
                .env(WORKER_DIR, dir.path())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "worker process failed");
    }
    assert_eq!(
        repo.get(&k("counter"))
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
        "200",
        "4 processes x 50 increments"
    );
}
