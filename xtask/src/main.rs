//! Project tasks. `cargo xtask codegen` regenerates `generated/src/` from
//! `openapi/`; `cargo xtask codegen --check` fails, with a diff, when the
//! checked-in sources are stale; `cargo xtask msrv` checks the declared
//! minimum Rust version.

mod codegen;
mod msrv;
mod normalize;
#[allow(dead_code)]
mod spec_hash;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen           regenerate generated/src/{generated,mock}.rs from openapi/chat.json
                    and openapi/events.json
  codegen --check   exit non-zero, with a diff, when generated/ is stale
  msrv              check that no locked dependency needs a newer Rust than the
                    workspace's rust-version, and build with that toolchain if installed";

/// How many diff lines `--check` prints per file before eliding the rest.
const MAX_DIFF_LINES: usize = 200;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["codegen"] => run_codegen(false),
        ["codegen", "--check"] => run_codegen(true),
        ["msrv"] => msrv::run(&workspace_root()),
        ["--help"] | ["-h"] | ["help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn run_codegen(check: bool) -> Result<(), String> {
    let started = Instant::now();
    let root = workspace_root();
    let openapi = root.join("openapi");
    let hash = spec_hash::spec_hash(&openapi).map_err(|e| format!("hashing openapi/: {e}"))?;
    let sources = codegen::generate(&openapi.join("chat.json"), &hash)?;
    let outputs = [
        (root.join("generated/src/generated.rs"), sources.client),
        (root.join("generated/src/mock.rs"), sources.mock),
    ];
    let mut stale = Vec::new();
    for (path, contents) in &outputs {
        let current = std::fs::read_to_string(path).unwrap_or_default();
        if current == *contents {
            continue;
        }
        if check {
            stale.push(diff_report(path, &current, contents));
        } else {
            std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        return Err(format!(
            "{}\ngenerated/ is stale: run `cargo xtask codegen` and commit the result",
            stale.join("\n")
        ));
    }
    eprintln!(
        "codegen {} in {:.2?} (spec-sha256 {hash})",
        if check { "check passed" } else { "done" },
        started.elapsed()
    );
    Ok(())
}

fn diff_report(path: &Path, current: &str, expected: &str) -> String {
    let diff = similar::TextDiff::from_lines(current, expected);
    let name = path.display().to_string();
    let text = diff
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{name} (checked in)"),
            &format!("{name} (regenerated)"),
        )
        .to_string();
    let total = text.lines().count();
    let mut shown: Vec<&str> = text.lines().take(MAX_DIFF_LINES).collect();
    let elided = format!(
        "... {} more diff lines",
        total.saturating_sub(MAX_DIFF_LINES)
    );
    if total > MAX_DIFF_LINES {
        shown.push(&elided);
    }
    shown.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two generations in a row are byte-identical, and identical to what is
    /// checked in (the same guarantee as `cargo xtask codegen --check`).
    #[test]
    fn generation_is_deterministic_and_checked_in() {
        let root = workspace_root();
        let openapi = root.join("openapi");
        let hash = spec_hash::spec_hash(&openapi).unwrap();
        let first = codegen::generate(&openapi.join("chat.json"), &hash).unwrap();
        let second = codegen::generate(&openapi.join("chat.json"), &hash).unwrap();
        assert!(first.client == second.client && first.mock == second.mock);
        let checked_in = std::fs::read_to_string(root.join("generated/src/generated.rs")).unwrap();
        assert!(
            checked_in == first.client,
            "generated/src/generated.rs is stale: run `cargo xtask codegen`"
        );
    }

    #[test]
    fn a_stale_file_is_reported_with_a_diff() {
        let report = diff_report(Path::new("generated.rs"), "a\nb\nc\n", "a\nB\nc\n");
        assert!(report.contains("-b") && report.contains("+B"), "{report}");
        assert!(report.contains("(checked in)") && report.contains("(regenerated)"));
    }
}
