//! Parsing JSON text with places: syntax and type errors with line and column, and a JSON pointer
//! located back in the text for later validation errors.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::diagnostic::{pointer, Diagnostic, ErrorCode, ValidationError};

/// Parses `text` as JSON into `T`, reporting the first syntax or type error with its code, JSON
/// pointer, line and column.
///
/// # Errors
/// A [`ValidationError`] with code `invalid-json`, `unknown-field`, `missing-field`,
/// `duplicate-field`, `invalid-type` or `invalid-value`.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, ValidationError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| to_error(text, &e))?;
    de.end().map_err(|e| {
        let (line, column) = char_position(text, e.line(), e.column());
        let mut d = Diagnostic::new(
            ErrorCode::InvalidJson,
            "",
            "trailing characters after the JSON value",
        );
        d.line = Some(line);
        d.column = Some(column);
        d
    })?;
    Ok(value)
}

fn to_error(text: &str, e: &serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    let inner = e.inner();
    let mut ptr = String::new();
    for segment in e.path().iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                ptr = pointer::push(&ptr, &index.to_string())
            }
            serde_path_to_error::Segment::Map { key } => ptr = pointer::push(&ptr, key),
            serde_path_to_error::Segment::Enum { .. } | serde_path_to_error::Segment::Unknown => {}
        }
    }
    let full = inner.to_string();
    let suffix = format!(" at line {} column {}", inner.line(), inner.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let code = match inner.classify() {
        serde_json::error::Category::Syntax
        | serde_json::error::Category::Eof
        | serde_json::error::Category::Io => ErrorCode::InvalidJson,
        serde_json::error::Category::Data => {
            if message.starts_with("unknown field") {
                ErrorCode::UnknownField
            } else if message.starts_with("missing field") {
                ErrorCode::MissingField
            } else if message.starts_with("duplicate field") {
                ErrorCode::DuplicateField
            } else if message.starts_with("invalid type") {
                ErrorCode::InvalidType
            } else {
                ErrorCode::InvalidValue
            }
        }
    };
    // serde_json reports a number, boolean, array or null where a string-valued enum is expected
    // (`"minTlsVersion": 1.2`) as the syntax error `expected value`, though the text is JSON.
    let (code, message) = match (code, inner.classify()) {
        (ErrorCode::InvalidJson, serde_json::error::Category::Syntax) => {
            match serde_json::from_str::<serde_json::Value>(text) {
                Ok(value) => {
                    let found = match value.pointer(&ptr) {
                        Some(serde_json::Value::Number(n)) => format!("number `{n}`"),
                        Some(serde_json::Value::Bool(b)) => format!("boolean `{b}`"),
                        Some(serde_json::Value::Array(_)) => "array".to_owned(),
                        Some(serde_json::Value::Object(_)) => "object".to_owned(),
                        Some(serde_json::Value::Null) => "null".to_owned(),
                        Some(serde_json::Value::String(_)) | None => "value".to_owned(),
                    };
                    (
                        ErrorCode::InvalidType,
                        format!("invalid type: {found}, expected a string"),
                    )
                }
                Err(_) => (code, message),
            }
        }
        other => (other.0, message),
    };
    let mut d = Diagnostic::new(code, ptr, message);
    if inner.line() > 0 {
        let (line, column) = char_position(text, inner.line(), inner.column());
        d.line = Some(line);
        d.column = Some(column);
    }
    d
}

/// serde_json counts columns in bytes; editors count characters.
fn char_position(text: &str, line: usize, byte_column: usize) -> (u32, u32) {
    let line_text = text.lines().nth(line.saturating_sub(1)).unwrap_or_default();
    let mut end = byte_column.saturating_sub(1).min(line_text.len());
    while end > 0 && !line_text.is_char_boundary(end) {
        end -= 1;
    }
    let chars = line_text.get(..end).map_or(0, |s| s.chars().count());
    (to_u32(line), to_u32(chars + 1))
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Line and column (1-based, columns in characters) of a byte offset.
pub fn offset_position(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (to_u32(line), to_u32(column))
}

/// Finds where each diagnostic's pointer is in `text` and sets its line and column. The text is
/// parsed into a syntax tree once, and only when there is something to place.
pub fn locate_all<C>(text: &str, diagnostics: &mut [Diagnostic<C>]) {
    if diagnostics.iter().all(|d| d.line.is_some()) {
        return;
    }
    let Ok(parsed) = jsonc_parser::parse_to_ast(text, &Default::default(), &Default::default())
    else {
        return;
    };
    let Some(root) = parsed.value else { return };
    for d in diagnostics.iter_mut().filter(|d| d.line.is_none()) {
        if let Some(offset) = find(&root, &d.pointer) {
            let (line, column) = offset_position(text, offset);
            d.line = Some(line);
            d.column = Some(column);
        }
    }
}

/// The byte offset of the value at `ptr`, or of the deepest existing value on its way.
fn find(root: &jsonc_parser::ast::Value<'_>, ptr: &str) -> Option<usize> {
    use jsonc_parser::ast::Value;
    use jsonc_parser::common::Ranged;
    let mut node = root;
    for token in pointer::tokens(ptr) {
        let next = match node {
            Value::Object(obj) => obj
                .properties
                .iter()
                .find(|p| p.name.as_str() == token)
                .map(|p| &p.value),
            Value::Array(arr) => token
                .parse::<usize>()
                .ok()
                .and_then(|i| arr.elements.get(i)),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => break,
        }
    }
    Some(node.start())
}

/// Serializes a value as pretty JSON, the form every host prints.
pub fn to_pretty_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"fault\":{}}}", serde_json::Value::String(e.to_string())))
}
