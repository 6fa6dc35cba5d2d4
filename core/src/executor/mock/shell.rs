//! Just enough of a POSIX shell to split the command layer's lines into words.

/// Split `line` into words, honouring single quotes, double quotes (with `\"`, `\\`, `\$`,
/// `` \` `` escapes) and backslashes. Unquoted shell operators (`| ; & < > $ ( )` and
/// backticks) are refused: the mock does not run pipelines or substitutions.
pub(super) fn split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated single quote".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch @ ('"' | '\\' | '$' | '`')) => cur.push(ch),
                            Some(ch) => {
                                cur.push('\\');
                                cur.push(ch);
                            }
                            None => return Err("unterminated double quote".into()),
                        },
                        Some(ch @ ('$' | '`')) => {
                            return Err(format!("substitution ({ch}) is not supported"));
                        }
                        Some(ch) => cur.push(ch),
                        None => return Err("unterminated double quote".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(ch) => cur.push(ch),
                    None => return Err("trailing backslash".into()),
                }
            }
            '|' | ';' | '&' | '<' | '>' | '$' | '(' | ')' | '`' => {
                return Err(format!("shell operator {c:?} is not supported"));
            }
            _ => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// An LVM size (`128M`, `256K`, `4m`, `10G`; no suffix = MiB) in KiB.
pub(super) fn size_kib(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()? {
        'k' | 'K' => (&s[..s.len() - 1], 1),
        'm' | 'M' => (&s[..s.len() - 1], 1024),
        'g' | 'G' => (&s[..s.len() - 1], 1024 * 1024),
        't' | 'T' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1024),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        assert_eq!(
            split("pvcreate -qq --metadatasize=128M '/dev/sdb'").unwrap(),
            vec!["pvcreate", "-qq", "--metadatasize=128M", "/dev/sdb"]
        );
        let awk =
            r#"awk "BEGIN {print \"/dev/mapper/vg_a-brick_b /mnt xfs rw 1 2\" >> \"/etc/fstab\"}""#;
        assert_eq!(
            split(awk).unwrap(),
            vec![
                "awk",
                r#"BEGIN {print "/dev/mapper/vg_a-brick_b /mnt xfs rw 1 2" >> "/etc/fstab"}"#
            ]
        );
        assert_eq!(
            split(r#"sed -i.save "/brick_b/d" /etc/fstab"#).unwrap(),
            vec!["sed", "-i.save", "/brick_b/d", "/etc/fstab"]
        );
        assert!(split("mount | grep x").is_err());
        assert!(split("echo $(id)").is_err());
        assert!(split("echo 'x").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(size_kib("128M"), Some(131072));
        assert_eq!(size_kib("256K"), Some(256));
        assert_eq!(size_kib("4m"), Some(4096));
        assert_eq!(size_kib("2"), Some(2048));
        assert_eq!(size_kib("x"), None);
    }
}
