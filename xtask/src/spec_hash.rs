// Shared by the xtask (which writes the hash into the generated header) and the
// root `build.rs` (which compares it), through `include!`, so the two can never
// disagree about what "the spec's hash" means.

/// The SHA-256 of every `*.json` file in the OpenAPI folder, in file-name order,
/// each fed as `name NUL contents NUL`, as lowercase hex.
pub fn spec_hash(openapi_dir: &std::path::Path) -> std::io::Result<String> {
    use sha2::Digest;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(openapi_dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            names.push(path);
        }
    }
    names.sort();
    let mut hasher = sha2::Sha256::new();
    for path in names {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        hasher.update(name.as_bytes());
        hasher.update([0u8]);
        hasher.update(std::fs::read(&path)?);
        hasher.update([0u8]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}

/// Finds the hash recorded in a generated file's `// @generated` header.
pub fn recorded_spec_hash(generated_source: &str) -> Option<&str> {
    generated_source
        .lines()
        .take_while(|line| line.starts_with("//"))
        .find_map(|line| line.split("spec-sha256: ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or(""))
}
