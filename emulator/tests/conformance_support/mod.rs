//! What the conformance replays share: the JSON shape comparison and the
//! one tolerated difference.
#![allow(dead_code)]

use serde_json::Value;

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Compares shapes; pushes `$.path: recorded X, emulator Y` lines.
pub fn compare(path: &str, recorded: &Value, actual: Option<&Value>, out: &mut Vec<String>) {
    let Some(actual) = actual else {
        out.push(format!(
            "{path}: recorded {}, emulator missing",
            type_name(recorded)
        ));
        return;
    };
    if type_name(recorded) != type_name(actual) {
        out.push(format!(
            "{path}: recorded {}, emulator {}",
            type_name(recorded),
            type_name(actual)
        ));
        return;
    }
    match (recorded, actual) {
        (Value::Object(rec), Value::Object(act)) => {
            for (key, value) in rec {
                compare(&format!("{path}.{key}"), value, act.get(key), out);
            }
            for (key, value) in act {
                if !rec.contains_key(key) {
                    out.push(format!(
                        "{path}.{key}: recorded missing, emulator {}",
                        type_name(value)
                    ));
                }
            }
        }
        (Value::Array(rec), Value::Array(act)) => {
            if rec.len() != act.len() {
                out.push(format!(
                    "{path}: recorded array of {}, emulator array of {}",
                    rec.len(),
                    act.len()
                ));
            }
            for (i, value) in rec.iter().enumerate().take(act.len()) {
                compare(&format!("{path}[{i}]"), value, act.get(i), out);
            }
        }
        _ => {}
    }
}

/// True for the tolerated eventual-consistency difference (module docs).
pub fn tolerated(method: &str, path: &str, difference: &str) -> bool {
    method == "GET"
        && path.starts_with("/chat/threads?")
        && difference.starts_with("$.value[")
        && difference.ends_with("].lastMessageReceivedOn: recorded missing, emulator string")
}
