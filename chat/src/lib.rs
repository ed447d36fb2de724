//! Rust client for Azure Communication Services Chat.
#![forbid(unsafe_code)]
