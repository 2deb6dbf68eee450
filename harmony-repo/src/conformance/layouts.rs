//! The layout rules, on a real backend: runtime trees stay out of the configuration.

use super::cases::k;
use crate::layout::System;
use crate::{Error, Name, PutMode, Repository};
use futures::TryStreamExt;
use std::sync::Arc;

async fn keys(repo: &dyn Repository) -> Vec<String> {
    repo.list(None)
        .map_ok(|m| m.key.to_string())
        .try_collect()
        .await
        .expect("list")
}

/// Configuration and runtime trees sharing one root never see each other's objects.
pub async fn layouts(repo: Arc<dyn Repository>) {
    let sys = System::new(repo.clone(), Name::new("System1").expect("name"));
    let other = System::new(repo.clone(), Name::new("System2").expect("name"));
    let config = sys.config();
    let n1 = sys
        .runtime(&Name::new("harmony-1").expect("name"))
        .await
        .expect("runtime 1");
    let n2 = sys
        .runtime(&Name::new("harmony-2").expect("name"))
        .await
        .expect("runtime 2");
    for key in [
        "hosts/acme.xml",
        "conf/options.xml",
        "certs/a.pem",
        "top.properties",
        "harmony-10/not-a-host.txt",
    ] {
        config
            .put(&k(key), "c".into(), PutMode::Overwrite)
            .await
            .expect("config put");
    }
    n1.put(&k("mdn/1.txt"), "r1".into(), PutMode::Create)
        .await
        .expect("runtime put");
    n2.put(&k("ids/2.txt"), "r2".into(), PutMode::Create)
        .await
        .expect("runtime put");
    other
        .config()
        .put(&k("hosts/other.xml"), "o".into(), PutMode::Create)
        .await
        .expect("other system");

    let want = [
        "certs/a.pem",
        "conf/options.xml",
        "harmony-10/not-a-host.txt",
        "hosts/acme.xml",
        "top.properties",
    ];
    assert_eq!(keys(&config).await, want, "configuration listing");
    let l = config.list_with_delimiter(None).await.expect("delimited");
    let pre: Vec<_> = l.prefixes.iter().map(|p| p.as_str()).collect();
    assert_eq!(
        pre,
        ["certs", "conf", "harmony-10", "hosts"],
        "configuration top level"
    );
    assert_eq!(keys(&n1).await, ["mdn/1.txt"], "runtime tree of harmony-1");
    assert_eq!(keys(&n2).await, ["ids/2.txt"], "runtime tree of harmony-2");
    let hosts: Vec<String> = sys
        .hosts()
        .await
        .expect("hosts")
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(hosts, ["harmony-1", "harmony-2"]);
    assert!(other.hosts().await.expect("hosts").is_empty());

    // Writes, reads and deletes through the configuration view cannot reach a runtime tree.
    for r in [
        config
            .put(&k("harmony-1/mdn/1.txt"), "x".into(), PutMode::Overwrite)
            .await
            .map(|_| ()),
        config.delete(&k("harmony-1/mdn/1.txt")).await,
        config.delete_prefix(&k("harmony-1")).await.map(|_| ()),
        config.head(&k("harmony-2/ids/2.txt")).await.map(|_| ()),
        config
            .put(&k(".harmony/runtime/evil"), "x".into(), PutMode::Overwrite)
            .await
            .map(|_| ()),
    ] {
        assert!(
            matches!(
                r,
                Err(Error::PermissionDenied(..) | Error::InvalidPath { .. })
            ),
            "{r:?}"
        );
    }
    // Deleting the whole configuration leaves the runtime trees and the other system.
    for key in keys(&config).await {
        config.delete(&k(&key)).await.expect("config delete");
    }
    assert!(keys(&config).await.is_empty());
    assert_eq!(
        keys(&n1).await,
        ["mdn/1.txt"],
        "runtime tree survived a configuration wipe"
    );
    assert_eq!(keys(&n2).await, ["ids/2.txt"]);
    assert_eq!(keys(&other.config()).await, ["hosts/other.xml"]);
    // A second registration of the same host is harmless.
    let again = sys
        .runtime(&Name::new("harmony-1").expect("name"))
        .await
        .expect("again");
    assert_eq!(keys(&again).await, ["mdn/1.txt"]);
}
