//! Integration tests: real HTTP(S) against emulators on 127.0.0.1.
//!
//! One test binary (modules below) to keep link time down.

mod admin;
mod binary;
mod common;
mod connections;
mod faults;
mod headers;
mod hmac;
mod identity;
mod persistence;
mod server;
mod tls;
mod tokens;
