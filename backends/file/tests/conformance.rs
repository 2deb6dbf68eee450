//! The whole conformance suite on a folder.
use harmony_repo::Repository;
use harmony_repo_file::FileRepository;
use std::sync::{Arc, OnceLock};

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"))
}

async fn repo() -> Option<Arc<dyn Repository>> {
    Some(Arc::new(FileRepository::new(dir().path())))
}

harmony_repo::conformance_suite!(repo);
