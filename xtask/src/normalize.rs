//! Named passes that adapt the OpenAPI document, in memory, to what progenitor
//! can generate. `openapi/chat.json` itself is never rewritten: it stays an
//! honest description of the service.

use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The HTTP methods an OpenAPI path item may hold, in the order we report them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Everything the passes found out, beside the adapted document.
#[derive(Debug, Default)]
pub struct Normalized {
    /// The document progenitor sees.
    pub doc: Value,
    /// `info.version`: the one api-version every request carries.
    pub api_version: String,
    /// Operations whose body the service wants as `application/merge-patch+json`.
    pub merge_patch_operations: Vec<String>,
    /// Extensible string enums, generated as open enums.
    pub open_enums: Vec<OpenEnum>,
    /// Every operation's route, for the request policy's path check.
    pub routes: Vec<OperationRoute>,
}

/// A string enum the service may extend: known values plus `Unknown(String)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenEnum {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

/// Method and path template of one operation, and whether it may be repeated.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationRoute {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    /// GET, PUT, PATCH and DELETE are; a POST is when it takes a
    /// repeatability header or says `x-acs-idempotent: true`.
    pub idempotent: bool,
    /// The header that makes a POST repeatable (`repeatability-request-id`).
    pub repeatability_header: Option<String>,
}

/// The request header the service deduplicates a create by.
const REPEATABILITY_HEADER: &str = "repeatability-request-id";

/// The schemas-only description of the Event Grid chat event data, beside the
/// REST description; its wire models are generated with the REST ones.
pub const EVENTS_FILE: &str = "events.json";

/// Runs every pass, in order, on the document at `spec_path` (joined with
/// [`EVENTS_FILE`] from the same folder).
pub fn normalize(spec_path: &Path) -> Result<Normalized, String> {
    let mut doc = read_json(spec_path)?;
    let dir = spec_path.parent().unwrap_or(Path::new("."));
    join_event_schemas(&mut doc, &read_json(&dir.join(EVENTS_FILE))?)?;
    bundle_external_refs(&mut doc, dir)?;
    let api_version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .ok_or("openapi: info.version is missing")?
        .to_string();
    strip_api_version_parameter(&mut doc)?;
    let merge_patch_operations = merge_patch_bodies_as_json(&mut doc);
    add_error_ranges(&mut doc);
    strip_request_validation(&mut doc);
    flatten_discriminated_unions(&mut doc)?;
    let open_enums = collect_open_enums(&mut doc)?;
    let routes = operation_routes(&doc)?;
    Ok(Normalized {
        doc,
        api_version,
        merge_patch_operations,
        open_enums,
        routes,
    })
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Calls `visit` on every operation object (`paths.*.<method>`).
fn for_each_operation(doc: &mut Value, mut visit: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            if let Some(op) = item.get_mut(method).and_then(Value::as_object_mut) {
                visit(path, method, op);
            }
        }
    }
}

/// Pass: the event data models (`events.json`) are generated beside the REST
/// models, so their `components/schemas` are merged into this document first,
/// under their own names; the later passes (bundling of `common.json`
/// references, open enums) then treat them like any other schema. The events
/// document sits in the same folder, so its references mean the same here.
/// A name both documents define is an error. Returns the joined names.
pub fn join_event_schemas(doc: &mut Value, events: &Value) -> Result<Vec<String>, String> {
    let Some(incoming) = events
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Err(format!("{EVENTS_FILE}: components.schemas is missing"));
    };
    if events
        .get("paths")
        .and_then(Value::as_object)
        .is_some_and(|paths| !paths.is_empty())
    {
        return Err(format!("{EVENTS_FILE}: must not define operations"));
    }
    let schemas = doc
        .as_object_mut()
        .ok_or("openapi: the document is not an object")?
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("openapi: components is not an object")?
        .entry("schemas")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("openapi: components.schemas is not an object")?;
    let mut joined = Vec::new();
    for (name, schema) in incoming {
        if schemas.contains_key(name) {
            return Err(format!(
                "{EVENTS_FILE}: a schema named {name} already exists in the REST description"
            ));
        }
        schemas.insert(name.clone(), schema.clone());
        joined.push(name.clone());
    }
    Ok(joined)
}

/// Pass: progenitor resolves only local references, so every `file.json#/components/schemas/X`
/// is copied into this document's `components/schemas/X`, with whatever it references in turn.
/// Names are kept, so references inside a copied schema stay valid once local.
pub fn bundle_external_refs(doc: &mut Value, dir: &Path) -> Result<(), String> {
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut errors = Vec::new();
    collect_refs(doc, &mut |r| {
        if !r.starts_with('#') {
            match split_schema_ref("", r) {
                Ok(target) => pending.push(target),
                Err(e) => errors.push(e),
            }
        }
    });
    if let Some(e) = errors.pop() {
        return Err(e);
    }
    let mut loaded: BTreeMap<String, Value> = BTreeMap::new();
    let mut bundled: BTreeMap<String, (String, Value)> = BTreeMap::new();
    while let Some((file, name)) = pending.pop() {
        if let Some((from, _)) = bundled.get(&name) {
            if *from != file {
                return Err(format!(
                    "schema {name} is defined in both {from} and {file}"
                ));
            }
            continue;
        }
        if !loaded.contains_key(&file) {
            loaded.insert(file.clone(), read_json(&dir.join(&file))?);
        }
        let mut schema = loaded[&file]
            .pointer(&format!("/components/schemas/{name}"))
            .cloned()
            .ok_or_else(|| format!("{file}#/components/schemas/{name} does not exist"))?;
        collect_refs(&schema, &mut |r| match split_schema_ref(&file, r) {
            Ok(target) => pending.push(target),
            Err(e) => errors.push(e),
        });
        if let Some(e) = errors.pop() {
            return Err(e);
        }
        rewrite_refs(&mut schema, &localize_ref);
        bundled.insert(name, (file, schema));
    }
    rewrite_refs(doc, &localize_ref);
    if bundled.is_empty() {
        return Ok(());
    }
    let schemas = doc
        .as_object_mut()
        .ok_or("openapi: the document is not an object")?
        .entry("components")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("openapi: components is not an object")?
        .entry("schemas")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or("openapi: components.schemas is not an object")?;
    for (name, (file, schema)) in bundled {
        if schemas.contains_key(&name) {
            return Err(format!(
                "bundling {file}: a schema named {name} already exists in the document"
            ));
        }
        schemas.insert(name, schema);
    }
    Ok(())
}

/// Splits a schema reference into (file, schema name); a local reference
/// (`#/...`) belongs to `current_file`.
fn split_schema_ref(current_file: &str, reference: &str) -> Result<(String, String), String> {
    let (file, pointer) = reference
        .split_once('#')
        .ok_or_else(|| format!("$ref without a fragment: {reference}"))?;
    let file = if file.is_empty() { current_file } else { file };
    let name = pointer
        .strip_prefix("/components/schemas/")
        .filter(|n| !n.contains('/'))
        .ok_or_else(|| format!("only schema references can be bundled, found {reference}"))?;
    Ok((file.to_string(), name.to_string()))
}

/// `common.json#/components/schemas/X` → `#/components/schemas/X`.
fn localize_ref(reference: &str) -> String {
    match reference.split_once('#') {
        Some((_, pointer)) => format!("#{pointer}"),
        None => reference.to_string(),
    }
}

fn collect_refs(value: &Value, found: &mut impl FnMut(&str)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("$ref", Value::String(r)) => found(r),
                    _ => collect_refs(child, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, found)),
        _ => {}
    }
}

fn rewrite_refs(value: &mut Value, rewrite: &impl Fn(&str) -> String) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match (key.as_str(), &mut *child) {
                    ("$ref", Value::String(r)) => *r = rewrite(r),
                    _ => rewrite_refs(child, rewrite),
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rewrite_refs(item, rewrite)),
        _ => {}
    }
}

/// Pass: the `api-version` query parameter is dropped from every operation; the
/// request policy adds it from `info.version`, so callers never pass it and it
/// has one source of truth. Fails when an operation does not declare it, since
/// the service rejects requests without it.
pub fn strip_api_version_parameter(doc: &mut Value) -> Result<(), String> {
    let components = doc.pointer("/components/parameters").cloned();
    let is_api_version = |param: &Value| -> bool {
        let resolved = match param.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/components/parameters/")
                .and_then(|name| components.as_ref()?.get(name)),
            None => Some(param),
        };
        resolved.is_some_and(|p| {
            p.get("name").and_then(Value::as_str) == Some("api-version")
                && p.get("in").and_then(Value::as_str) == Some("query")
        })
    };
    let mut missing = Vec::new();
    for_each_operation(doc, |path, method, op| {
        let before = op
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            params.retain(|p| !is_api_version(p));
        }
        let after = op
            .get("parameters")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if before == after {
            missing.push(format!("{} {path}", method.to_uppercase()));
        }
    });
    if !missing.is_empty() {
        return Err(format!(
            "operations without the api-version query parameter: {}",
            missing.join(", ")
        ));
    }
    if let Some(params) = doc
        .pointer_mut("/components/parameters")
        .and_then(Value::as_object_mut)
    {
        params.retain(|_, p| !is_api_version(p));
    }
    Ok(())
}

/// Pass: progenitor rejects `application/merge-patch+json` request bodies. A
/// merge patch is JSON, so the body is generated as JSON and the operations are
/// recorded: the request policy sets their real content type.
pub fn merge_patch_bodies_as_json(doc: &mut Value) -> Vec<String> {
    let mut operations = Vec::new();
    for_each_operation(doc, |_, _, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let Some(content) = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        if let Some(media) = content.remove("application/merge-patch+json") {
            content.insert("application/json".into(), media);
            operations.push(id);
        }
    });
    operations
}

/// Pass: a `default` error response beside an empty success response trips an
/// assertion in progenitor, and status codes the description does not list
/// (502, 504...) would come back undecoded. When every error response of an
/// operation has the same body (as in ACS), they become explicit `4XX` and
/// `5XX` responses with that body; listed codes are not kept beside the
/// ranges, which would only make unreachable match arms.
pub fn add_error_ranges(doc: &mut Value) {
    let shared = doc
        .pointer("/components/responses")
        .cloned()
        .unwrap_or(Value::Null);
    let resolve = |response: &Value| -> Value {
        match response.get("$ref").and_then(Value::as_str) {
            Some(r) => r
                .strip_prefix("#/components/responses/")
                .and_then(|name| shared.get(name))
                .cloned()
                .unwrap_or(Value::Null),
            None => response.clone(),
        }
    };
    for_each_operation(doc, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        let is_error =
            |code: &str| code == "default" || code.starts_with('4') || code.starts_with('5');
        let errors: Vec<(String, Value)> = responses
            .iter()
            .filter(|(code, _)| is_error(code))
            .map(|(code, response)| (code.clone(), resolve(response)))
            .collect();
        let Some((_, first)) = errors.first() else {
            return;
        };
        let body = |response: &Value| response.get("content").cloned();
        let Some(content) = body(first) else {
            return;
        };
        if errors
            .iter()
            .any(|(_, response)| body(response).as_ref() != Some(&content))
        {
            return;
        }
        let error_response = serde_json::json!({
            "description": "The service's error response.",
            "content": content,
        });
        responses.retain(|code, _| !is_error(code));
        for range in ["4XX", "5XX"] {
            responses.insert(range.into(), error_response.clone());
        }
    });
}

/// Keywords that only say which values the service accepts.
const VALIDATION_KEYWORDS: [&str; 5] = ["minLength", "maxLength", "pattern", "minimum", "maximum"];

/// Pass: the description states what the service accepts (lengths, patterns,
/// ranges; a property narrowed to some values of a type with `allOf` plus
/// `enum`; a union of a polymorphic model's subtypes with `oneOf`; a
/// subtype's narrowing of its base's property), so schema-driven tests send
/// only valid data. The generated models keep the plain types: the facade
/// validates arguments itself and reports errors its own way, and a reader
/// of service answers must not refuse a value the service starts to send.
/// So these are undone before generation: the keywords go, a narrowed
/// property becomes its type, a union of subtypes becomes their base, and a
/// subtype's copy of a base property goes.
pub fn strip_request_validation(doc: &mut Value) {
    fn base_of_subtypes(schema: &Value, schemas: &Map<String, Value>) -> Option<String> {
        let variants = schema.get("oneOf")?.as_array()?;
        let mut base = None;
        for variant in variants {
            let name = variant.get("$ref")?.as_str()?.rsplit('/').next()?;
            let parent = schemas
                .get(name)?
                .get("allOf")?
                .as_array()?
                .iter()
                .find_map(|p| p.get("$ref").and_then(Value::as_str))?;
            if base.get_or_insert(parent) != &parent {
                return None;
            }
        }
        base.map(str::to_owned)
    }
    fn visit(value: &mut Value, schemas: &Map<String, Value>) {
        match value {
            Value::Object(map) => {
                for keyword in VALIDATION_KEYWORDS {
                    map.remove(keyword);
                }
                let narrowed = map.get("enum").is_some()
                    && map
                        .get("allOf")
                        .and_then(Value::as_array)
                        .is_some_and(|parts| parts.len() == 1 && parts[0].get("$ref").is_some());
                if narrowed {
                    let reference = map["allOf"][0].clone();
                    *value = reference;
                    return;
                }
                if let Some(base) = base_of_subtypes(value, schemas) {
                    *value = serde_json::json!({ "$ref": base });
                    return;
                }
                if let Value::Object(map) = value {
                    for child in map.values_mut() {
                        visit(child, schemas);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| visit(item, schemas)),
            _ => {}
        }
    }
    let schemas = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    visit(doc, &schemas);
    // A subtype's own copy of a property its base defines is a narrowing.
    let Some(schemas_mut) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in schemas_mut.values_mut() {
        let base = schema
            .get("allOf")
            .and_then(Value::as_array)
            .and_then(|parts| parts.iter().find_map(|p| p.get("$ref")?.as_str()))
            .and_then(|r| r.rsplit('/').next())
            .and_then(|name| schemas.get(name));
        let Some(base_properties) = base
            .and_then(|b| b.get("properties"))
            .and_then(Value::as_object)
        else {
            continue;
        };
        if let Some(own) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            own.retain(|name, _| !base_properties.contains_key(name));
        }
    }
}

/// Pass: the service's polymorphic models (a base schema with a `discriminator`,
/// subtypes that `allOf` it) would be generated as the base alone, losing the
/// subtypes' fields, or as a closed tagged enum that fails on a kind the service
/// adds later. The base gains every subtype's properties as optional ones, so any
/// kind decodes and none of its fields are lost. Returns the flattened bases.
pub fn flatten_discriminated_unions(doc: &mut Value) -> Result<Vec<String>, String> {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Ok(Vec::new());
    };
    let bases: Vec<String> = schemas
        .iter()
        .filter(|(_, schema)| schema.get("discriminator").is_some())
        .map(|(name, _)| name.clone())
        .collect();
    for base in &bases {
        let base_ref = format!("#/components/schemas/{base}");
        let mut extra = Map::new();
        for schema in schemas.values() {
            let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
                continue;
            };
            if !parts
                .iter()
                .any(|p| p.get("$ref").and_then(Value::as_str) == Some(&base_ref))
            {
                continue;
            }
            let own = parts
                .iter()
                .chain(std::iter::once(schema))
                .filter_map(|p| p.get("properties").and_then(Value::as_object));
            for properties in own {
                for (name, property) in properties {
                    if let Some(existing) = extra.get(name) {
                        if existing != property {
                            return Err(format!(
                                "{base}: subtypes disagree on the schema of `{name}`"
                            ));
                        }
                    }
                    extra.insert(name.clone(), property.clone());
                }
            }
        }
        let schema = schemas
            .get_mut(base)
            .and_then(Value::as_object_mut)
            .ok_or_else(|| format!("{base} is not an object schema"))?;
        schema.remove("discriminator");
        let properties = schema
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| format!("{base}.properties is not an object"))?;
        for (name, property) in extra {
            properties.entry(name).or_insert(property);
        }
    }
    Ok(bases)
}

/// Pass: the service's enums are extensible (`x-ms-enum.modelAsString`), but
/// progenitor generates closed Rust enums that fail to decode a new value. Every
/// string enum is recorded (named ones in place, inline ones hoisted into
/// `components/schemas` under their `x-ms-enum` name) so the generator can point
/// at open enums with an `Unknown(String)` variant instead.
pub fn collect_open_enums(doc: &mut Value) -> Result<Vec<OpenEnum>, String> {
    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    let mut errors = Vec::new();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (name, schema) in schemas.iter_mut() {
            if as_string_enum(schema).is_none() {
                hoist_inline_enums(name, schema, &mut hoisted, &mut errors);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors.join("\n"));
    }
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut);
    let mut open_enums = Vec::new();
    if let Some(schemas) = schemas {
        for (name, schema) in hoisted {
            match schemas.get(&name) {
                Some(existing) if *existing != schema => {
                    return Err(format!(
                        "inline enum {name} differs from the schema of the same name"
                    ))
                }
                Some(_) => {}
                None => {
                    schemas.insert(name, schema);
                }
            }
        }
        for (name, schema) in schemas.iter() {
            if let Some(values) = as_string_enum(schema) {
                open_enums.push(OpenEnum {
                    name: name.clone(),
                    description: schema
                        .get("description")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    values,
                });
            }
        }
    }
    Ok(open_enums)
}

fn as_string_enum(schema: &Value) -> Option<Vec<String>> {
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return None;
    }
    schema
        .get("enum")?
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

fn hoist_inline_enums(
    owner: &str,
    schema: &mut Value,
    hoisted: &mut BTreeMap<String, Value>,
    errors: &mut Vec<String>,
) {
    match schema {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if as_string_enum(child).is_some() {
                    match child
                        .pointer("/x-ms-enum/name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                    {
                        Some(name) => {
                            let mut named = child.clone();
                            if let Some(obj) = named.as_object_mut() {
                                obj.remove("readOnly");
                            }
                            hoisted.insert(name.clone(), named);
                            *child = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
                        }
                        None => errors.push(format!(
                            "{owner}.{key}: an inline enum needs an x-ms-enum name to become an open enum"
                        )),
                    }
                } else {
                    hoist_inline_enums(owner, child, hoisted, errors);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| hoist_inline_enums(owner, item, hoisted, errors)),
        _ => {}
    }
}

/// Lists every operation's id, method and path template.
pub fn operation_routes(doc: &Value) -> Result<Vec<OperationRoute>, String> {
    let mut routes = Vec::new();
    let mut missing = Vec::new();
    let mut doc = doc.clone();
    for_each_operation(&mut doc, |path, method, op| {
        let repeatability_header = op
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .any(|param| {
                param.get("in").and_then(Value::as_str) == Some("header")
                    && param
                        .get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|name| name.eq_ignore_ascii_case(REPEATABILITY_HEADER))
            })
            .then(|| REPEATABILITY_HEADER.to_string());
        let declared = op.get("x-acs-idempotent").and_then(Value::as_bool) == Some(true);
        let idempotent = method != "post" || repeatability_header.is_some() || declared;
        match op.get("operationId").and_then(Value::as_str) {
            Some(id) => routes.push(OperationRoute {
                operation_id: id.to_string(),
                method: method.to_uppercase(),
                path: path.to_string(),
                idempotent,
                repeatability_header,
            }),
            None => missing.push(format!("{} {path}", method.to_uppercase())),
        }
    });
    if missing.is_empty() {
        Ok(routes)
    } else {
        Err(format!(
            "operations without an operationId: {}",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op_doc(op: Value) -> Value {
        json!({ "openapi": "3.0.3", "info": { "title": "t", "version": "2025-03-15" },
                "paths": { "/things/{id}": { "patch": op } } })
    }

    #[test]
    fn request_validation_is_undone_before_generation() {
        let mut doc = json!({
            "paths": {"/x": {"get": {"parameters": [
                {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1}}
            ]}}},
            "components": {"schemas": {
                "Base": {"type": "object", "discriminator": {"propertyName": "kind"},
                    "properties": {"kind": {"type": "string", "enum": ["a", "b"]}}},
                "A": {"allOf": [{"$ref": "#/components/schemas/Base"}],
                    "properties": {"kind": {"type": "string", "enum": ["a"]},
                        "days": {"type": "integer", "maximum": 90}}},
                "B": {"allOf": [{"$ref": "#/components/schemas/Base"}],
                    "properties": {"kind": {"type": "string", "enum": ["b"]}}},
                "Kind": {"type": "string", "enum": ["text", "html", "other"]},
                "Request": {"type": "object", "properties": {
                    "topic": {"type": "string", "minLength": 1, "maxLength": 9, "pattern": "\\S"},
                    "type": {"allOf": [{"$ref": "#/components/schemas/Kind"}], "enum": ["text"]},
                    "policy": {"oneOf": [{"$ref": "#/components/schemas/A"},
                        {"$ref": "#/components/schemas/B"}],
                        "discriminator": {"propertyName": "kind"}}
                }}
            }}
        });
        strip_request_validation(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["Request"]["properties"]["topic"],
            json!({"type": "string"})
        );
        assert_eq!(
            schemas["Request"]["properties"]["type"],
            json!({"$ref": "#/components/schemas/Kind"})
        );
        assert_eq!(
            schemas["Request"]["properties"]["policy"],
            json!({"$ref": "#/components/schemas/Base"})
        );
        assert_eq!(
            schemas["A"]["properties"],
            json!({"days": {"type": "integer"}})
        );
        assert_eq!(schemas["B"]["properties"], json!({}));
        assert_eq!(
            doc["paths"]["/x"]["get"]["parameters"][0]["schema"],
            json!({"type": "integer"})
        );
    }

    #[test]
    fn bundling_copies_external_schemas_and_their_own_references() {
        let dir = std::env::temp_dir().join(format!("xtask-bundle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("common.json"),
            json!({ "components": { "schemas": {
                "Outer": { "type": "object", "properties": { "inner": { "$ref": "#/components/schemas/Inner" } } },
                "Inner": { "type": "string" } } } })
            .to_string(),
        )
        .unwrap();
        let mut doc = json!({ "components": { "schemas": {
            "Mine": { "$ref": "common.json#/components/schemas/Outer" } } } });
        bundle_external_refs(&mut doc, &dir).unwrap();
        assert_eq!(
            doc.pointer("/components/schemas/Mine/$ref").unwrap(),
            "#/components/schemas/Outer"
        );
        assert_eq!(
            doc.pointer("/components/schemas/Outer/properties/inner/$ref")
                .unwrap(),
            "#/components/schemas/Inner"
        );
        assert_eq!(
            doc.pointer("/components/schemas/Inner/type").unwrap(),
            "string"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn event_schemas_are_joined_before_their_references_are_bundled() {
        let dir = std::env::temp_dir().join(format!("xtask-events-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("common.json"),
            json!({ "components": { "schemas": { "Id": { "type": "string" } } } }).to_string(),
        )
        .unwrap();
        let mut doc = json!({ "components": { "schemas": {
            "Rest": { "$ref": "common.json#/components/schemas/Id" } } } });
        let events = json!({ "paths": {}, "components": { "schemas": {
            "SomethingHappenedEventData": { "type": "object", "properties": {
                "who": { "$ref": "common.json#/components/schemas/Id" },
                "version": { "$ref": "#/components/schemas/Version" } } },
            "Version": { "oneOf": [ { "type": "integer" }, { "type": "string" } ] } } } });
        assert_eq!(
            join_event_schemas(&mut doc, &events).unwrap(),
            vec!["SomethingHappenedEventData", "Version"]
        );
        bundle_external_refs(&mut doc, &dir).unwrap();
        let schemas = doc.pointer("/components/schemas").unwrap();
        let names: Vec<&String> = schemas.as_object().unwrap().keys().collect();
        assert_eq!(
            names,
            ["Rest", "SomethingHappenedEventData", "Version", "Id"]
        );
        assert_eq!(
            schemas["SomethingHappenedEventData"]["properties"]["who"]["$ref"],
            "#/components/schemas/Id"
        );
        assert_eq!(
            schemas["SomethingHappenedEventData"]["properties"]["version"]["$ref"],
            "#/components/schemas/Version"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn event_schemas_may_not_shadow_rest_schemas_or_define_operations() {
        let mut doc = json!({ "components": { "schemas": { "Thing": { "type": "object" } } } });
        let clash = json!({ "components": { "schemas": { "Thing": { "type": "string" } } } });
        let err = join_event_schemas(&mut doc, &clash).unwrap_err();
        assert!(err.contains("Thing"), "{err}");
        let with_paths = json!({ "paths": { "/x": {} }, "components": { "schemas": {} } });
        let err = join_event_schemas(&mut doc, &with_paths).unwrap_err();
        assert!(err.contains("operations"), "{err}");
        let err = join_event_schemas(&mut doc, &json!({})).unwrap_err();
        assert!(err.contains("components.schemas"), "{err}");
    }

    #[test]
    fn bundling_refuses_non_schema_references() {
        let mut doc = json!({ "x": { "$ref": "common.json#/components/parameters/P" } });
        let err = bundle_external_refs(&mut doc, Path::new("/nonexistent")).unwrap_err();
        assert!(err.contains("only schema references"), "{err}");
    }

    #[test]
    fn api_version_is_stripped_from_operations_and_components() {
        let mut doc = op_doc(json!({ "operationId": "Op", "parameters": [
            { "$ref": "#/components/parameters/ApiVersion" },
            { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } } ] }));
        doc["components"] = json!({ "parameters": { "ApiVersion":
            { "name": "api-version", "in": "query", "required": true, "schema": { "type": "string" } } } });
        strip_api_version_parameter(&mut doc).unwrap();
        let params = doc
            .pointer("/paths/~1things~1{id}/patch/parameters")
            .unwrap();
        assert_eq!(params.as_array().unwrap().len(), 1);
        assert_eq!(params[0]["name"], "id");
        assert!(doc.pointer("/components/parameters/ApiVersion").is_none());
    }

    #[test]
    fn an_operation_without_api_version_is_an_error() {
        let mut doc = op_doc(json!({ "operationId": "Op", "parameters": [] }));
        let err = strip_api_version_parameter(&mut doc).unwrap_err();
        assert!(err.contains("PATCH /things/{id}"), "{err}");
    }

    #[test]
    fn merge_patch_bodies_become_json_and_are_recorded() {
        let mut doc = op_doc(
            json!({ "operationId": "UpdateThing", "requestBody": { "content": {
            "application/merge-patch+json": { "schema": { "type": "object" } } } } }),
        );
        assert_eq!(merge_patch_bodies_as_json(&mut doc), vec!["UpdateThing"]);
        let content = doc
            .pointer("/paths/~1things~1{id}/patch/requestBody/content")
            .unwrap();
        assert!(content.get("application/json").is_some());
        assert!(content.get("application/merge-patch+json").is_none());
    }

    #[test]
    fn default_error_response_becomes_explicit_ranges() {
        let error = json!({ "description": "error", "content": { "application/json": { "schema": { "type": "object" } } } });
        let mut doc = op_doc(json!({ "operationId": "Op", "responses": {
            "204": { "description": "ok" }, "default": error } }));
        add_error_ranges(&mut doc);
        let responses = doc
            .pointer("/paths/~1things~1{id}/patch/responses")
            .unwrap();
        assert!(responses.get("default").is_none());
        assert_eq!(responses["4XX"]["content"], error["content"]);
        assert_eq!(responses["5XX"]["content"], error["content"]);
    }

    #[test]
    fn listed_error_codes_with_one_body_become_ranges() {
        let error = json!({ "description": "error", "content": { "application/json": { "schema": { "type": "object" } } } });
        let mut doc = op_doc(json!({ "operationId": "Op", "responses": {
            "200": { "description": "ok" }, "401": error, "503": error } }));
        add_error_ranges(&mut doc);
        let responses = doc
            .pointer("/paths/~1things~1{id}/patch/responses")
            .unwrap();
        let codes: Vec<&String> = responses.as_object().unwrap().keys().collect();
        assert_eq!(codes, ["200", "4XX", "5XX"]);
        assert_eq!(responses["5XX"]["content"], error["content"]);
    }

    #[test]
    fn error_codes_with_different_bodies_are_left_alone() {
        let a = json!({ "description": "a", "content": { "application/json": { "schema": { "type": "object" } } } });
        let b = json!({ "description": "b", "content": { "application/json": { "schema": { "type": "string" } } } });
        let mut doc = op_doc(json!({ "operationId": "Op", "responses": {
            "200": { "description": "ok" }, "401": a, "503": b } }));
        let before = doc.clone();
        add_error_ranges(&mut doc);
        assert_eq!(doc, before);
    }

    #[test]
    fn named_and_inline_enums_are_collected_as_open_enums() {
        let mut doc = json!({ "components": { "schemas": {
            "Kind": { "type": "string", "enum": ["a", "b"], "x-ms-enum": { "name": "Kind", "modelAsString": true } },
            "Holder": { "type": "object", "properties": { "mode": {
                "type": "string", "readOnly": true, "enum": ["x"], "x-ms-enum": { "name": "Mode", "modelAsString": true } } } } } } });
        let enums = collect_open_enums(&mut doc).unwrap();
        let names: Vec<_> = enums.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["Kind", "Mode"]);
        assert_eq!(
            doc.pointer("/components/schemas/Holder/properties/mode/$ref")
                .unwrap(),
            "#/components/schemas/Mode"
        );
        assert_eq!(enums[1].values, vec!["x"]);
    }

    #[test]
    fn an_unnamed_inline_enum_is_an_error() {
        let mut doc = json!({ "components": { "schemas": {
            "Holder": { "type": "object", "properties": { "mode": { "type": "string", "enum": ["x"] } } } } } });
        let err = collect_open_enums(&mut doc).unwrap_err();
        assert!(err.contains("Holder.mode"), "{err}");
    }

    #[test]
    fn discriminated_bases_gain_their_subtypes_fields() {
        let mut doc = json!({ "components": { "schemas": {
            "Policy": { "type": "object", "required": ["kind"], "discriminator": { "propertyName": "kind" },
                        "properties": { "kind": { "type": "string" } } },
            "DaysPolicy": { "allOf": [ { "$ref": "#/components/schemas/Policy" },
                { "type": "object", "required": ["days"], "properties": { "days": { "type": "integer" } } } ] },
            "Unrelated": { "type": "object", "properties": { "other": { "type": "string" } } } } } });
        assert_eq!(
            flatten_discriminated_unions(&mut doc).unwrap(),
            vec!["Policy"]
        );
        let policy = doc.pointer("/components/schemas/Policy").unwrap();
        assert!(policy.get("discriminator").is_none());
        assert_eq!(policy["properties"]["days"]["type"], "integer");
        assert!(policy["properties"].get("other").is_none());
        assert_eq!(policy["required"], json!(["kind"]));
    }

    #[test]
    fn routes_list_every_operation() {
        let doc = op_doc(json!({ "operationId": "UpdateThing" }));
        assert_eq!(
            operation_routes(&doc).unwrap(),
            vec![OperationRoute {
                operation_id: "UpdateThing".into(),
                method: "PATCH".into(),
                path: "/things/{id}".into(),
                idempotent: true,
                repeatability_header: None,
            }]
        );
    }

    #[test]
    fn a_post_is_idempotent_only_with_a_repeatability_header_or_the_extension() {
        let doc = json!({ "paths": { "/a": {
            "post": { "operationId": "Plain" },
            "put": { "operationId": "Put" } },
            "/b": { "post": { "operationId": "Repeatable", "parameters": [
                { "name": "Repeatability-Request-Id", "in": "header", "schema": { "type": "string" } }
            ] } },
            "/c": { "post": { "operationId": "Declared", "x-acs-idempotent": true } }
        } });
        let routes = operation_routes(&doc).unwrap();
        let find = |id: &str| {
            routes
                .iter()
                .find(|r| r.operation_id == id)
                .unwrap()
                .clone()
        };
        assert!(!find("Plain").idempotent);
        assert!(find("Put").idempotent);
        assert!(find("Repeatable").idempotent);
        assert_eq!(
            find("Repeatable").repeatability_header.as_deref(),
            Some("repeatability-request-id")
        );
        assert!(find("Declared").idempotent);
        assert_eq!(find("Declared").repeatability_header, None);
    }
}
