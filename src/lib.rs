//! Workspace root package. It ships no code of its own: it owns the root `build.rs`
//! (the stale-code check of `generated/`) and the end-to-end tests in `tests/`.
#![forbid(unsafe_code)]
