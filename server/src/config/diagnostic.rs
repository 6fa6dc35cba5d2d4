//! [`ConfigError`]: what is wrong with a configuration, where, and what to change.
//!
//! Heketi prints Go's bare `invalid character '}' looking for beginning of object key
//! string`; Brickyard says `heketi.json:12:5: ...` and adds a hint.

use std::fmt;

use serde_json::error::Category;

/// A configuration that cannot be used. The `Display` text is complete: position,
/// problem and hint, ready for the operator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{origin}: {source}")]
    Read {
        /// The file name.
        origin: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON (even with comments and trailing commas allowed), or a
    /// value has the wrong type.
    #[error("{}", .0)]
    At(Located),
    /// A value has the right type but is not allowed (unknown executor, bad state…).
    #[error("{origin}: {key}: {message}")]
    Invalid {
        /// The file name.
        origin: String,
        /// The dotted key, e.g. `glusterfs.executor`.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// An `HEKETI_*` environment override has a value that cannot be used.
    #[error("environment variable {var}: {message}")]
    Env {
        /// The variable name.
        var: String,
        /// What is wrong.
        message: String,
    },
    /// A combination of settings that cannot work, e.g. auth on without JWT keys.
    #[error("{0}")]
    Unusable(String),
}

/// A problem at a position of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    /// The file name (or other origin label).
    pub origin: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The dotted key the problem belongs to, when known.
    pub key: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub hint: String,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.origin, self.line, self.column)?;
        if let Some(key) = &self.key {
            write!(f, "{key}: ")?;
        }
        write!(f, "{}\n  hint: {}", self.message, self.hint)
    }
}

/// Turns a decode error of the cleaned text into a [`Located`] diagnostic.
pub(crate) fn locate(
    inner: &serde_json::Error,
    path: Option<String>,
    text: &str,
    origin: &str,
) -> Located {
    let line = inner.line().max(1);
    let column = char_column(text, line, inner.column());
    let raw = strip_position(&inner.to_string());
    match inner.classify() {
        Category::Data => {
            let (message, hint) = describe_type_error(&raw);
            Located {
                origin: origin.to_string(),
                line,
                column: value_start(text, line, column),
                key: path.filter(|k| k != "." && !k.is_empty()),
                message,
                hint,
            }
        }
        _ => {
            let (message, hint) = describe_syntax_error(&raw, text, line, column);
            // A line break inside a string is reported at the start of the next
            // line; the string that is not closed is on the line before.
            let (line, column) = if raw.starts_with("control character") && column == 1 && line > 1
            {
                let previous = text.lines().nth(line - 2).map_or(0, |l| l.chars().count());
                (line - 1, previous + 1)
            } else {
                (line, column)
            };
            Located {
                origin: origin.to_string(),
                line,
                column,
                key: None,
                message,
                hint,
            }
        }
    }
}

/// serde_json appends ` at line L column C`; the position is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(idx) => message[..idx].to_string(),
        None => message.to_string(),
    }
}

/// serde_json counts columns in bytes; editors count characters.
fn char_column(text: &str, line: usize, byte_column: usize) -> usize {
    let Some(line_text) = text.lines().nth(line.saturating_sub(1)) else {
        return byte_column.max(1);
    };
    let end = byte_column.min(line_text.len());
    let mut boundary = end;
    while boundary > 0 && !line_text.is_char_boundary(boundary) {
        boundary -= 1;
    }
    line_text[..boundary].chars().count().max(1)
}

/// serde_json reports a wrongly typed value at its last character; point at its
/// first one instead (the opening quote of a string, the first digit of a number).
fn value_start(text: &str, line: usize, column: usize) -> usize {
    let Some(line_text) = text.lines().nth(line.saturating_sub(1)) else {
        return column;
    };
    let chars: Vec<char> = line_text.chars().collect();
    let Some(last) = column.checked_sub(1).filter(|&i| i < chars.len()) else {
        return column;
    };
    let mut i = last;
    if chars[last] == '"' {
        while i > 0 {
            i -= 1;
            let escaped = i > 0 && chars[i - 1] == '\\';
            if chars[i] == '"' && !escaped {
                return i + 1;
            }
        }
        return column;
    }
    let is_token = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+');
    if !is_token(chars[last]) {
        return column;
    }
    while i > 0 && is_token(chars[i - 1]) {
        i -= 1;
    }
    i + 1
}

fn describe_syntax_error(raw: &str, text: &str, line: usize, column: usize) -> (String, String) {
    let at = text
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|l| l.chars().nth(column.saturating_sub(1)));
    let hint = if raw.starts_with("expected `,` or `}`") {
        "a `,` is missing between two entries of this object (or a `}` is missing before this point)"
    } else if raw.starts_with("expected `,` or `]`") {
        "a `,` is missing between two elements of this list (or a `]` is missing before this point)"
    } else if raw.starts_with("key must be a string") {
        if at == Some('\'') {
            "JSON strings and keys use double quotes: write \"key\" instead of 'key'"
        } else {
            "object keys must be strings in double quotes, e.g. \"port\": \"8080\""
        }
    } else if raw.starts_with("expected `:`") {
        "put a `:` between the key and its value"
    } else if raw.starts_with("expected value") || raw.starts_with("expected ident") {
        if at == Some('\'') {
            "JSON strings use double quotes: write \"text\" instead of 'text'"
        } else {
            "a value is missing or not valid JSON here: strings need double quotes, booleans are true/false, numbers have no quotes"
        }
    } else if raw.starts_with("EOF while parsing a string") {
        "a string is not closed: add the closing `\"`"
    } else if raw.starts_with("EOF while parsing") {
        "the file ends too early: a closing `}` or `]` is missing"
    } else if raw.starts_with("control character") {
        "a string runs to the end of the line: close it with `\"` (write line breaks as \\n)"
    } else if raw.starts_with("invalid escape") || raw.starts_with("invalid unicode") {
        "inside strings a backslash starts an escape: write \\\\ for a literal backslash"
    } else if raw.starts_with("trailing characters") {
        "there is text after the closing `}` of the configuration; remove it or move it inside"
    } else if raw.starts_with("invalid number") || raw.starts_with("number out of range") {
        "write numbers as plain decimal digits, without quotes"
    } else {
        "check the JSON syntax at this position"
    };
    (raw.to_string(), hint.to_string())
}

/// Rewrites serde's `invalid type: string "8", expected u64` as `expected a
/// non-negative integer, found string "8"` plus a hint.
fn describe_type_error(raw: &str) -> (String, String) {
    if let Some(field) = raw
        .strip_prefix("duplicate field `")
        .and_then(|r| r.strip_suffix('`'))
    {
        return (
            format!("the key \"{field}\" appears twice in this object"),
            "keep only one of them".to_string(),
        );
    }
    let body = raw
        .strip_prefix("invalid type: ")
        .or_else(|| raw.strip_prefix("invalid value: "));
    let Some((found, expected)) = body.and_then(|b| b.rsplit_once(", expected ")) else {
        return (raw.to_string(), "check the value's type".to_string());
    };
    let expected_text = match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => "a non-negative integer",
        "i8" | "i16" | "i32" | "i64" | "isize" => "an integer",
        "a boolean" => "true or false",
        "a string" => "a string",
        e if e.starts_with("struct ") || e == "a map" => "an object",
        e => e,
    };
    let found_text = found.replace('`', "");
    let found_text = match found_text.as_str() {
        "map" => "an object".to_string(),
        "sequence" => "a list".to_string(),
        other => other.replace("floating point", "number"),
    };
    let string_value = found
        .strip_prefix("string \"")
        .and_then(|s| s.strip_suffix('"'));
    let hint = match (expected_text, string_value) {
        ("a non-negative integer" | "an integer", Some(s)) if s.trim().parse::<i64>().is_ok() => {
            format!("write the number without quotes: {}", s.trim())
        }
        ("true or false", Some(s)) if matches!(s.trim(), "true" | "false") => {
            format!("write {} without quotes", s.trim())
        }
        ("a non-negative integer", None) if found.starts_with("integer `-") => {
            "use 0 or a positive number".to_string()
        }
        ("a non-negative integer" | "an integer", None) if found.starts_with("floating point") => {
            "use a whole number".to_string()
        }
        ("a non-negative integer", None) if found.starts_with("integer") => {
            format!(
                "the number is too large for this setting (at most {})",
                max_for(expected)
            )
        }
        ("a string", None) => {
            let literal = found_text
                .split_once(' ')
                .map_or(found_text.as_str(), |(_, v)| v);
            format!("put the value in double quotes: \"{literal}\"")
        }
        ("an object", _) => "use an object: { \"key\": value, ... }".to_string(),
        ("true or false", _) => "use true or false, without quotes".to_string(),
        _ => format!("use {expected_text}"),
    };
    (
        format!("expected {expected_text}, found {found_text}"),
        hint,
    )
}

fn max_for(expected: &str) -> u64 {
    match expected {
        "u8" => u64::from(u8::MAX),
        "u16" => u64::from(u16::MAX),
        "u32" => u64::from(u32::MAX),
        _ => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_errors_are_rewritten_with_hints() {
        let (m, h) = describe_type_error("invalid type: string \"8\", expected u64");
        assert_eq!(m, "expected a non-negative integer, found string \"8\"");
        assert_eq!(h, "write the number without quotes: 8");
        let (m, h) = describe_type_error("invalid type: integer `8080`, expected a string");
        assert_eq!(m, "expected a string, found integer 8080");
        assert_eq!(h, "put the value in double quotes: \"8080\"");
        let (m, h) = describe_type_error("invalid type: string \"true\", expected a boolean");
        assert_eq!(m, "expected true or false, found string \"true\"");
        assert_eq!(h, "write true without quotes");
        let (_, h) = describe_type_error("invalid value: integer `-1`, expected u64");
        assert_eq!(h, "use 0 or a positive number");
        let (m, _) = describe_type_error("invalid type: floating point `1.5`, expected u32");
        assert_eq!(m, "expected a non-negative integer, found number 1.5");
        let (m, _) = describe_type_error("invalid type: string \"x\", expected struct RawSshExec");
        assert_eq!(m, "expected an object, found string \"x\"");
    }

    #[test]
    fn type_errors_point_at_the_start_of_the_value() {
        assert_eq!(value_start("  \"a\": \"x\\\"y\"", 1, 13), 8);
        assert_eq!(value_start("  \"a\": -12", 1, 10), 8);
        assert_eq!(value_start("  \"a\": {}", 1, 9), 9);
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(char_column("{\"é\": x}", 1, 8), 7);
        assert_eq!(char_column("abc", 1, 2), 2);
    }
}
