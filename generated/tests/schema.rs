//! The JSON schema derived from the generated wire types (schemars) against
//! the description they were generated from (`openapi/chat.json` and
//! `openapi/common.json`): property names, which are required, and each
//! property's type (string, integer, boolean, object, map, array, enum) with
//! its date-time / integer format. A mismatch fails with one readable line per
//! difference.
#![cfg(feature = "schemars")]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use acs_chat_rest::types;
use serde_json::Value;

fn openapi(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../openapi")
        .join(file);
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Both description files' `components/schemas`, by file name.
struct Spec {
    files: BTreeMap<&'static str, Value>,
}

impl Spec {
    fn load() -> Self {
        let mut files = BTreeMap::new();
        for file in ["chat.json", "common.json"] {
            files.insert(file, openapi(file)["components"]["schemas"].clone());
        }
        Self { files }
    }

    /// Resolves `#/components/schemas/X` (relative to `file`) or
    /// `common.json#/components/schemas/X`: the file the target lives in, its
    /// name and its schema.
    fn resolve(&self, file: &'static str, reference: &str) -> (&'static str, String, &Value) {
        let (target_file, pointer) = match reference.split_once('#') {
            Some(("", pointer)) => (file, pointer),
            Some((other, pointer)) => (
                *self
                    .files
                    .keys()
                    .find(|name| **name == other)
                    .unwrap_or_else(|| panic!("unknown file in {reference}")),
                pointer,
            ),
            None => panic!("unsupported $ref {reference}"),
        };
        let name = pointer
            .strip_prefix("/components/schemas/")
            .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
        let schema = &self.files[target_file][name];
        assert!(!schema.is_null(), "dangling $ref {reference}");
        (target_file, name.to_string(), schema)
    }

    fn find(&self, name: &str) -> (&'static str, &Value) {
        self.files
            .iter()
            .find_map(|(file, schemas)| schemas.get(name).map(|schema| (*file, schema)))
            .unwrap_or_else(|| panic!("no schema {name} in the description"))
    }
}

/// Property names, required names and a type description per property.
#[derive(Debug, Default)]
struct Shape {
    properties: BTreeMap<String, String>,
    required: BTreeSet<String>,
}

/// Only the formats that decide the Rust type are compared: `date-time`
/// (chrono) and the integer widths. `uri` and friends are plain strings.
fn significant_format(format: Option<&str>) -> Option<&str> {
    format.filter(|f| matches!(*f, "date-time" | "int32" | "int64"))
}

fn with_format(base: &str, schema: &Value) -> String {
    match significant_format(schema["format"].as_str()) {
        Some(format) => format!("{base}({format})"),
        None => base.to_string(),
    }
}

fn enum_description(name: &str, values: &Value, open: bool) -> String {
    let values: Vec<&str> = values
        .as_array()
        .expect("enum values")
        .iter()
        .map(|v| v.as_str().expect("string enum value"))
        .collect();
    format!(
        "enum {name} [{}]{}",
        values.join(", "),
        if open { " (open)" } else { " (closed)" }
    )
}

// ---------------------------------------------------------------------------
// The description side
// ---------------------------------------------------------------------------

fn spec_type(spec: &Spec, file: &'static str, schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let (target_file, name, target) = spec.resolve(file, reference);
        return named_spec_type(&name, target_file, target);
    }
    // What the service accepts, narrowed for schema-driven tests (see
    // openapi/README.md, and the codegen pass that undoes it): a type
    // narrowed to some of its values is that type; a union of a polymorphic
    // model's subtypes is their base.
    if let Some([part]) = schema["allOf"].as_array().map(Vec::as_slice) {
        if schema.get("enum").is_some() {
            return spec_type(spec, file, part);
        }
    }
    if let Some(first) = schema["oneOf"].as_array().and_then(|v| v.first()) {
        if let Some(reference) = first["$ref"].as_str() {
            let (target_file, _, subtype) = spec.resolve(file, reference);
            if let Some(base) = subtype["allOf"].as_array().and_then(|v| v.first()) {
                return spec_type(spec, target_file, base);
            }
        }
    }
    if schema.get("enum").is_some() {
        let name = schema["x-ms-enum"]["name"].as_str().unwrap_or("<inline>");
        return named_spec_type(name, file, schema);
    }
    match schema["type"].as_str() {
        Some("array") => format!("array<{}>", spec_type(spec, file, &schema["items"])),
        Some("object") if schema.get("additionalProperties").is_some() => {
            format!(
                "map<{}>",
                spec_type(spec, file, &schema["additionalProperties"])
            )
        }
        Some(base @ ("string" | "integer" | "number" | "boolean")) => with_format(base, schema),
        other => panic!("unsupported schema type {other:?}: {schema}"),
    }
}

fn named_spec_type(name: &str, _file: &'static str, schema: &Value) -> String {
    if schema.get("enum").is_some() {
        let open = schema["x-ms-enum"]["modelAsString"].as_bool() == Some(true);
        enum_description(name, &schema["enum"], open)
    } else {
        format!("object {name}")
    }
}

/// The shape of a named schema, with `allOf` merged in. A base with a
/// discriminator also gets the subtypes' own properties, as optional ones:
/// that is how the generator represents the polymorphic type (one struct).
fn spec_shape(spec: &Spec, name: &str) -> Shape {
    let (file, schema) = spec.find(name);
    let mut shape = Shape::default();
    merge_spec_object(spec, file, schema, &mut shape, true);
    if let Some(mapping) = schema["discriminator"]["mapping"].as_object() {
        for reference in mapping.values() {
            let (sub_file, _, sub) = spec.resolve(file, reference.as_str().expect("mapping $ref"));
            merge_spec_object(spec, sub_file, sub, &mut shape, false);
        }
    }
    shape
}

fn merge_spec_object(
    spec: &Spec,
    file: &'static str,
    schema: &Value,
    shape: &mut Shape,
    with_required: bool,
) {
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            // A subtype's `allOf` names its base, which is merged already when
            // the base itself is the type being described.
            if part.get("$ref").is_some() && !with_required {
                continue;
            }
            let (part_file, part) = match part["$ref"].as_str() {
                Some(reference) => {
                    let (f, _, s) = spec.resolve(file, reference);
                    (f, s)
                }
                None => (file, part),
            };
            merge_spec_object(spec, part_file, part, shape, with_required);
        }
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (property, property_schema) in properties {
            // A subtype's copy of a base property narrows it (its own
            // `kind`, see openapi/README.md): the base's definition stands.
            shape
                .properties
                .entry(property.clone())
                .or_insert_with(|| spec_type(spec, file, property_schema));
        }
    }
    if with_required {
        for required in schema["required"].as_array().into_iter().flatten() {
            shape
                .required
                .insert(required.as_str().expect("required name").to_string());
        }
    }
}

// ---------------------------------------------------------------------------
// The Rust side (schemars 1.x, draft 2020-12)
// ---------------------------------------------------------------------------

fn rust_type(root: &Value, schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let (name, target) = if reference == "#" {
            (
                root["title"].as_str().expect("root title").to_string(),
                root,
            )
        } else {
            let name = reference
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("unsupported $ref {reference}"));
            (name.to_string(), &root["$defs"][name])
        };
        return named_rust_type(&name, target);
    }
    // `Option<T>`: `anyOf: [T, {type: null}]` or `type: [T, "null"]`.
    if let Some(alternatives) = schema["anyOf"].as_array() {
        let non_null: Vec<&Value> = alternatives
            .iter()
            .filter(|alt| alt["type"] != "null")
            .collect();
        if let [single] = non_null.as_slice() {
            return rust_type(root, single);
        }
        panic!("unsupported anyOf {schema}");
    }
    let base = match &schema["type"] {
        Value::String(base) => base.as_str(),
        Value::Array(types) => {
            let non_null: Vec<&str> = types
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| *t != "null")
                .collect();
            match non_null.as_slice() {
                [single] => *single,
                _ => panic!("unsupported type list {schema}"),
            }
        }
        _ => panic!("unsupported schema {schema}"),
    };
    match base {
        "array" => format!("array<{}>", rust_type(root, &schema["items"])),
        "object" if schema.get("additionalProperties").is_some() => {
            format!("map<{}>", rust_type(root, &schema["additionalProperties"]))
        }
        "string" | "integer" | "number" | "boolean" => with_format(base, schema),
        other => panic!("unsupported type {other}: {schema}"),
    }
}

/// An open enum is `anyOf: [{type: string, enum: [...]}, {type: string}]`.
fn named_rust_type(name: &str, schema: &Value) -> String {
    if let Some(alternatives) = schema["anyOf"].as_array() {
        if let Some(closed) = alternatives.iter().find(|alt| alt.get("enum").is_some()) {
            let open = alternatives
                .iter()
                .any(|alt| alt["type"] == "string" && alt.get("enum").is_none());
            return enum_description(name, &closed["enum"], open);
        }
    }
    if schema.get("enum").is_some() {
        return enum_description(name, &schema["enum"], false);
    }
    format!("object {name}")
}

fn rust_shape(schema: &schemars::Schema) -> Shape {
    let root = schema.as_value();
    let mut shape = Shape::default();
    for (property, property_schema) in root["properties"].as_object().expect("properties") {
        shape
            .properties
            .insert(property.clone(), rust_type(root, property_schema));
    }
    for required in root["required"].as_array().into_iter().flatten() {
        shape
            .required
            .insert(required.as_str().expect("required name").to_string());
    }
    shape
}

// ---------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------

fn differences(name: &str, spec: &Shape, rust: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = spec
        .properties
        .keys()
        .chain(rust.properties.keys())
        .collect();
    for property in names {
        match (spec.properties.get(property), rust.properties.get(property)) {
            (Some(_), None) => out.push(format!(
                "{name}.{property}: in the description, missing in Rust"
            )),
            (None, Some(ty)) => out.push(format!(
                "{name}.{property}: in Rust ({ty}), not in the description"
            )),
            (Some(expected), Some(actual)) if expected != actual => out.push(format!(
                "{name}.{property}: the description says `{expected}`, Rust says `{actual}`"
            )),
            _ => {}
        }
    }
    for property in spec.required.difference(&rust.required) {
        out.push(format!(
            "{name}.{property}: required in the description, optional in Rust"
        ));
    }
    for property in rust.required.difference(&spec.required) {
        out.push(format!(
            "{name}.{property}: optional in the description, required in Rust"
        ));
    }
    out
}

macro_rules! wire_types {
    ($($name:ident),* $(,)?) => {
        vec![$((stringify!($name), schemars::schema_for!(types::$name))),*]
    };
}

#[test]
fn chat_message_schema_matches_the_description() {
    let spec = Spec::load();
    let rust = rust_shape(&schemars::schema_for!(types::ChatMessage));
    let described = spec_shape(&spec, "ChatMessage");
    let diff = differences("ChatMessage", &described, &rust);
    assert!(diff.is_empty(), "schema differences:\n{}", diff.join("\n"));
    // Spot checks of what the comparison sees.
    assert_eq!(rust.properties["createdOn"], "string(date-time)");
    assert_eq!(rust.properties["editedOn"], "string(date-time)");
    assert_eq!(rust.properties["metadata"], "map<string>");
    assert_eq!(rust.properties["content"], "object ChatMessageContent");
    assert_eq!(
        rust.properties["type"],
        "enum ChatMessageType [text, html, topicUpdated, participantAdded, participantRemoved] (open)"
    );
    assert_eq!(
        rust.required,
        ["createdOn", "id", "sequenceId", "type", "version"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

#[test]
fn every_wire_type_schema_matches_the_description() {
    let spec = Spec::load();
    let wire = wire_types![
        AddChatParticipantsRequest,
        AddChatParticipantsResult,
        ChatAttachment,
        ChatMessage,
        ChatMessageContent,
        ChatMessageReadReceipt,
        ChatMessageReadReceiptsCollection,
        ChatMessagesCollection,
        ChatParticipant,
        ChatParticipantsCollection,
        ChatRetentionPolicy,
        ChatThreadItem,
        ChatThreadProperties,
        ChatThreadsItemCollection,
        CommunicationError,
        CommunicationErrorResponse,
        CommunicationIdentifierModel,
        CommunicationUserIdentifierModel,
        CreateChatThreadRequest,
        CreateChatThreadResult,
        MicrosoftTeamsAppIdentifierModel,
        MicrosoftTeamsUserIdentifierModel,
        PhoneNumberIdentifierModel,
        SendChatMessageRequest,
        SendChatMessageResult,
        SendReadReceiptRequest,
        SendTypingNotificationRequest,
        TeamsExtensionUserIdentifierModel,
        ThreadCreationDateRetentionPolicy,
        UpdateChatMessageRequest,
        UpdateChatThreadRequest,
    ];
    // `NoneRetentionPolicy` is a transparent newtype over the (flattened)
    // `ChatRetentionPolicy`, so it has that type's schema; the enums are
    // compared through the properties that use them.
    let not_compared = [
        "NoneRetentionPolicy",
        "ChatMessageType",
        "ChatAttachmentType",
        "CommunicationCloudEnvironmentModel",
        "CommunicationIdentifierModelKind",
    ];
    let compared: BTreeSet<&str> = wire.iter().map(|(name, _)| *name).collect();
    let mut missing = Vec::new();
    for schemas in spec.files.values() {
        for name in schemas.as_object().expect("schemas").keys() {
            if !compared.contains(name.as_str()) && !not_compared.contains(&name.as_str()) {
                missing.push(name.clone());
            }
        }
    }
    assert!(
        missing.is_empty(),
        "description schemas not compared: {missing:?}"
    );

    let mut diff = Vec::new();
    for (name, schema) in &wire {
        diff.extend(differences(
            name,
            &spec_shape(&spec, name),
            &rust_shape(schema),
        ));
    }
    assert!(
        diff.is_empty(),
        "{} schema differences:\n{}",
        diff.len(),
        diff.join("\n")
    );
}

#[test]
fn the_comparison_reports_differences_readably() {
    let spec = Spec::load();
    // `SendChatMessageRequest` against another type's schema must fail with
    // readable lines.
    let rust = rust_shape(&schemars::schema_for!(types::UpdateChatMessageRequest));
    let diff = differences(
        "SendChatMessageRequest",
        &spec_shape(&spec, "SendChatMessageRequest"),
        &rust,
    );
    assert!(
        diff.contains(
            &"SendChatMessageRequest.type: in the description, missing in Rust".to_string()
        ),
        "{diff:#?}"
    );
    assert!(
        diff.contains(
            &"SendChatMessageRequest.content: required in the description, optional in Rust"
                .to_string()
        ),
        "{diff:#?}"
    );
}
