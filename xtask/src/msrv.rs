//! `cargo xtask msrv`: the workspace's declared `rust-version` is true. Every
//! package in the lock file must declare a `rust-version` no newer than ours,
//! and when that toolchain is installed (`rustup toolchain list`), the
//! workspace must build with it.

use std::path::Path;
use std::process::Command;

/// A `major.minor[.patch]` Rust version, compared numerically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RustVersion(u32, u32, u32);

impl RustVersion {
    /// Parses `1.89` or `1.89.0`; `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = match parts.next() {
            Some(patch) => patch.parse().ok()?,
            None => 0,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self(major, minor, patch))
    }
}

impl std::fmt::Display for RustVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// Packages whose declared `rust-version` is newer than `msrv`, from
/// `cargo metadata` JSON; `Err` if the workspace's own members disagree.
pub fn too_new(metadata: &serde_json::Value) -> Result<(RustVersion, Vec<String>), String> {
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata has no packages")?;
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .map(|m| m.iter().filter_map(|id| id.as_str()).collect())
        .unwrap_or_default();
    let version_of = |package: &serde_json::Value| {
        package["rust_version"]
            .as_str()
            .and_then(RustVersion::parse)
    };
    let mut ours = None;
    for package in packages
        .iter()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(&id)))
    {
        let name = package["name"].as_str().unwrap_or("?");
        let version = version_of(package).ok_or(format!("{name} declares no rust-version"))?;
        match ours {
            None => ours = Some(version),
            Some(seen) if seen != version => {
                return Err(format!(
                    "{name} declares rust-version {version}, another member {seen}"
                ))
            }
            Some(_) => {}
        }
    }
    let msrv = ours.ok_or("no workspace members")?;
    let mut newer: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let version = version_of(p)?;
            (version > msrv).then(|| {
                format!(
                    "{} {} needs Rust {version}",
                    p["name"].as_str().unwrap_or("?"),
                    p["version"].as_str().unwrap_or("?")
                )
            })
        })
        .collect();
    newer.sort();
    Ok((msrv, newer))
}

/// Runs the check from the workspace root.
pub fn run(root: &Path) -> Result<(), String> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run cargo metadata: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("cargo metadata is not JSON: {e}"))?;
    let (msrv, newer) = too_new(&metadata)?;
    if !newer.is_empty() {
        return Err(format!(
            "the workspace declares rust-version {msrv}, but locked dependencies need newer:\n  {}",
            newer.join("\n  ")
        ));
    }
    let count = metadata["packages"].as_array().map_or(0, Vec::len);
    eprintln!("msrv: {count} locked packages all declare rust-version {msrv} or older (or none)");
    let toolchain = format!("{}.{}", msrv.0, msrv.1);
    let installed = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let name = installed
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .find(|t| t.starts_with(&format!("{toolchain}-")) || t.starts_with(&format!("{msrv}-")));
    match name {
        None => eprintln!(
            "msrv: toolchain {toolchain} is not installed here, so no build with it (rustup toolchain install {toolchain} to add one)"
        ),
        Some(name) => {
            eprintln!("msrv: building the workspace with {name}");
            let status = Command::new("cargo")
                .args([&format!("+{name}"), "check", "--workspace", "--all-features", "--locked"])
                .current_dir(root)
                .status()
                .map_err(|e| format!("cannot run cargo +{name}: {e}"))?;
            if !status.success() {
                return Err(format!("the workspace does not build with Rust {toolchain}"));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(ours: &str, dependency: Option<&str>) -> serde_json::Value {
        serde_json::json!({
            "workspace_members": ["a 0.1.0"],
            "packages": [
                {"id": "a 0.1.0", "name": "a", "version": "0.1.0", "rust_version": ours},
                {"id": "dep 1.0.0", "name": "dep", "version": "1.0.0", "rust_version": dependency},
            ]
        })
    }

    #[test]
    fn versions_compare_numerically() {
        assert!(RustVersion::parse("1.89").unwrap() > RustVersion::parse("1.9.0").unwrap());
        assert_eq!(RustVersion::parse("1.89"), RustVersion::parse("1.89.0"));
        assert_eq!(RustVersion::parse("1.x"), None);
        assert_eq!(RustVersion::parse("1.2.3.4"), None);
    }

    #[test]
    fn a_dependency_newer_than_ours_is_reported() {
        let (msrv, newer) = too_new(&metadata("1.88", Some("1.89.0"))).unwrap();
        assert_eq!(msrv, RustVersion(1, 88, 0));
        assert_eq!(newer, ["dep 1.0.0 needs Rust 1.89.0"]);
        let (_, newer) = too_new(&metadata("1.89", Some("1.89.0"))).unwrap();
        assert!(newer.is_empty());
        let (_, newer) = too_new(&metadata("1.89", None)).unwrap();
        assert!(newer.is_empty());
    }
}
