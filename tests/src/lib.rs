//! Behaviour tests only: see tests/behavior.rs.
