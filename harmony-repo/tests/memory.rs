//! The conformance suite on the in-memory backend.
use harmony_repo::{MemoryRepository, Repository};
use std::sync::Arc;

async fn repo() -> Option<Arc<dyn Repository>> {
    Some(Arc::new(MemoryRepository::new()))
}

harmony_repo::conformance_suite!(repo);
