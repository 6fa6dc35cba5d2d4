//! The lenient part of `heketi.json` parsing: `#` and `//` line comments, `/* */`
//! block comments and trailing commas are blanked out (replaced by spaces, newlines
//! kept) so that the strict JSON parser afterwards reports the same line and column
//! the user sees in the file.

/// A block comment that is never closed: the 1-based line and column of its `/*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnclosedComment {
    /// 1-based line of the opening `/*`.
    pub line: usize,
    /// 1-based column (in characters) of the opening `/*`.
    pub column: usize,
}

/// Returns `text` with comments and trailing commas replaced by spaces; every other
/// byte, and every newline, stays where it was. Text inside strings is never touched.
pub fn blank_comments_and_trailing_commas(text: &str) -> Result<String, UnclosedComment> {
    let without_comments = blank_comments(text.as_bytes())?;
    let cleaned = blank_trailing_commas(without_comments);
    // Only ASCII bytes and whole comment contents were replaced by ASCII spaces, so
    // the result is valid UTF-8 whenever a multi-byte character was either kept or
    // blanked completely, which `blank_comments` guarantees.
    Ok(String::from_utf8(cleaned)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

fn blank_comments(src: &[u8]) -> Result<Vec<u8>, UnclosedComment> {
    let mut out = src.to_vec();
    let mut i = 0;
    while i < src.len() {
        match src[i] {
            b'"' => i = skip_string(src, i),
            b'#' => i = blank_line(&mut out, i),
            b'/' if src.get(i + 1) == Some(&b'/') => i = blank_line(&mut out, i),
            b'/' if src.get(i + 1) == Some(&b'*') => {
                let start = i;
                let mut j = i + 2;
                loop {
                    if j + 1 >= src.len() {
                        let (line, column) = position(src, start);
                        return Err(UnclosedComment { line, column });
                    }
                    if src[j] == b'*' && src[j + 1] == b'/' {
                        break;
                    }
                    j += 1;
                }
                for b in &mut out[start..j + 2] {
                    if *b != b'\n' && *b != b'\r' {
                        *b = b' ';
                    }
                }
                i = j + 2;
            }
            _ => i += 1,
        }
    }
    Ok(out)
}

/// Blanks from `start` to the end of the line (the newline stays).
fn blank_line(out: &mut [u8], start: usize) -> usize {
    let mut j = start;
    while j < out.len() && out[j] != b'\n' && out[j] != b'\r' {
        out[j] = b' ';
        j += 1;
    }
    j
}

/// Index just after the string starting at `start` (a `"`), honouring `\` escapes.
/// An unterminated string runs to the end of its line; the JSON parser reports it.
fn skip_string(src: &[u8], start: usize) -> usize {
    let mut j = start + 1;
    while j < src.len() {
        match src[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            b'\n' => return j,
            _ => j += 1,
        }
    }
    src.len()
}

fn blank_trailing_commas(mut buf: Vec<u8>) -> Vec<u8> {
    let mut i = 0;
    while i < buf.len() {
        match buf[i] {
            b'"' => i = skip_string(&buf, i),
            b',' => {
                let next = buf[i + 1..]
                    .iter()
                    .copied()
                    .find(|b| !b.is_ascii_whitespace());
                if matches!(next, Some(b'}') | Some(b']')) {
                    buf[i] = b' ';
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    buf
}

/// 1-based (line, column in characters) of byte offset `at`.
fn position(src: &[u8], at: usize) -> (usize, usize) {
    let before = &src[..at];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&src[line_start..at])
        .chars()
        .count()
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        blank_comments_and_trailing_commas(s).expect("no unclosed comment")
    }

    #[test]
    fn comments_are_blanked_but_positions_kept() {
        let src = "{ # hash\n  // slashes\n  \"a\": /* x\n y */ 1 // end\n}";
        let out = clean(src);
        assert_eq!(out.len(), src.len());
        assert_eq!(out.lines().count(), src.lines().count());
        let v: serde_json::Value = serde_json::from_str(&out).expect("valid json");
        assert_eq!(v, serde_json::json!({"a": 1}));
    }

    #[test]
    fn comment_markers_inside_strings_are_data() {
        let src = r##"{"url": "http://x/#a", "s": "/* no */", "q": "a\"#b", "c": "x,"}"##;
        let v: serde_json::Value = serde_json::from_str(&clean(src)).expect("valid json");
        assert_eq!(v["url"], "http://x/#a");
        assert_eq!(v["s"], "/* no */");
        assert_eq!(v["q"], "a\"#b");
        assert_eq!(v["c"], "x,");
    }

    #[test]
    fn trailing_commas_are_accepted_even_before_comments() {
        let src = "{\"a\": [1, 2, ], \"b\": {\"c\": 1,}, // last\n}";
        let v: serde_json::Value = serde_json::from_str(&clean(src)).expect("valid json");
        assert_eq!(v, serde_json::json!({"a": [1, 2], "b": {"c": 1}}));
    }

    #[test]
    fn a_missing_value_between_commas_is_left_for_the_parser() {
        let out = clean("[1,,2]");
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_err());
    }

    #[test]
    fn unclosed_block_comment_is_located() {
        let err = blank_comments_and_trailing_commas("{\n  \"é\": 1, /* open\n}").err();
        assert_eq!(
            err,
            Some(UnclosedComment {
                line: 2,
                column: 11
            })
        );
    }

    #[test]
    fn non_ascii_in_comments_stays_valid_utf8() {
        let out = clean("{\"a\": 1 # café ünïcode\n}");
        assert!(serde_json::from_str::<serde_json::Value>(&out).is_ok());
    }
}
