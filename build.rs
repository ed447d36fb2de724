//! Warns (or, under CI, fails) when `generated/` was not regenerated after a
//! change to `openapi/`. It only compares hashes: code generation itself is
//! `cargo xtask codegen`, so progenitor never enters a downstream build.

// The hash definition is shared with the xtask, so the two always agree.
include!("xtask/src/spec_hash.rs");

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let openapi = root.join("openapi");
    let generated = root.join("generated/src/generated.rs");
    println!("cargo:rerun-if-changed=openapi");
    println!("cargo:rerun-if-changed=generated/src/generated.rs");
    println!("cargo:rerun-if-env-changed=CI");

    let problem = match (spec_hash(&openapi), std::fs::read_to_string(&generated)) {
        (Ok(current), Ok(source)) => match recorded_spec_hash(&source) {
            Some(recorded) if recorded == current => None,
            Some(recorded) => Some(format!(
                "generated/ is stale: openapi/ hashes to {current}, generated.rs was made from {recorded}; run `cargo xtask codegen`"
            )),
            None => Some("generated/src/generated.rs has no spec hash in its header; run `cargo xtask codegen`".to_string()),
        },
        (Err(e), _) => Some(format!("cannot hash openapi/: {e}")),
        (_, Err(e)) => Some(format!("cannot read generated/src/generated.rs ({e}); run `cargo xtask codegen`")),
    };
    if let Some(problem) = problem {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false") {
            eprintln!("error: {problem}");
            std::process::exit(1);
        }
        println!("cargo:warning={problem}");
    }
}
