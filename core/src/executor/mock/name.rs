//! Compact names. The mock holds, per brick, LV names, a mount point, a brick path and
//! an fstab line, each spelling Brickyard's 32-hex-digit device and brick ids; as
//! strings they took most of its memory at 100,000 volumes. A [`Name`] of one of the
//! templates below keeps its ids as 16 bytes each and no heap allocation; any other
//! string is kept as text. A name is equal to, ordered like and displayed as the
//! string it stands for, so maps keyed by names iterate in the strings' order.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use crate::executor::BRICK_MOUNT_ROOT;

/// A piece of a template: literal text or a slot of 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Piece {
    Lit(&'static str),
    A,
    B,
}

use Piece::{A, B, Lit};

/// The templates; a name's `t` indexes this table. In one template every slot has a
/// fixed width, so two names of the same template are ordered as their ids are. The
/// longest renders in less than 128 bytes (`Name::with_str`'s buffer; checked below).
const TEMPLATES: &[&[Piece]] = &[
    &[Lit("tp_"), A],
    &[Lit("brick_"), A],
    &[Lit("vg_"), A],
    &[Lit(BRICK_MOUNT_ROOT), Lit("/vg_"), A, Lit("/brick_"), B],
    &[
        Lit(BRICK_MOUNT_ROOT),
        Lit("/vg_"),
        A,
        Lit("/brick_"),
        B,
        Lit("/brick"),
    ],
    &[Lit("brick")],
    &[A],
    &[Lit("vol_"), A],
];

const _: () = assert!(BRICK_MOUNT_ROOT.len() + 4 + 32 + 7 + 32 + 6 <= 128);

/// Index of the mount point template (`<root>/vg_<a>/brick_<b>`).
pub(super) const MOUNT_DIR: u8 = 3;

const HEX: &[u8; 16] = b"0123456789abcdef";

fn parse_hex(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes().get(..32)?;
    let mut out = [0u8; 16];
    for (i, pair) in b.chunks(2).enumerate() {
        let nib = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        out[i] = (nib(pair[0])? << 4) | nib(pair[1])?;
    }
    Some(out)
}

pub(super) fn hex_digits(id: &[u8; 16]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, b) in id.iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 15)];
    }
    out
}

/// Appends the 32 hex digits of `id` to `out`.
pub(super) fn write_hex(out: &mut String, id: &[u8; 16]) {
    for b in id {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// Reads 32 lowercase hex digits at the start of `s`: the id and the rest.
pub(super) fn take_hex(s: &str) -> Option<([u8; 16], &str)> {
    let id = parse_hex(s)?;
    Some((id, &s[32..]))
}

/// A string, compact when it has one of the templates' forms.
#[derive(Clone)]
pub(super) enum Name {
    Ids { t: u8, a: [u8; 16], b: [u8; 16] },
    Text(Box<str>),
}

impl Name {
    pub fn new(s: &str) -> Name {
        'templates: for (t, pieces) in TEMPLATES.iter().enumerate() {
            let (mut rest, mut a, mut b) = (s, [0u8; 16], [0u8; 16]);
            for p in pieces.iter() {
                match p {
                    Lit(l) => match rest.strip_prefix(l) {
                        Some(r) => rest = r,
                        None => continue 'templates,
                    },
                    A | B => match take_hex(rest) {
                        Some((id, r)) => {
                            if matches!(p, A) {
                                a = id;
                            } else {
                                b = id;
                            }
                            rest = r;
                        }
                        None => continue 'templates,
                    },
                }
            }
            if rest.is_empty() {
                return Name::Ids { t: t as u8, a, b };
            }
        }
        Name::Text(s.into())
    }

    /// The template index and ids, when the name has a template's form.
    pub fn ids(&self) -> Option<(u8, &[u8; 16], &[u8; 16])> {
        match self {
            Name::Ids { t, a, b } => Some((*t, a, b)),
            Name::Text(_) => None,
        }
    }

    /// Runs `f` on the string the name stands for (rendered on the stack).
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Name::Text(s) => f(s),
            Name::Ids { t, a, b } => {
                let mut buf = [0u8; 128];
                let mut n = 0;
                let mut put = |bytes: &[u8]| {
                    buf[n..n + bytes.len()].copy_from_slice(bytes);
                    n += bytes.len();
                };
                for p in TEMPLATES[usize::from(*t)].iter() {
                    match p {
                        Lit(l) => put(l.as_bytes()),
                        A => put(&hex_digits(a)),
                        B => put(&hex_digits(b)),
                    }
                }
                f(std::str::from_utf8(&buf[..n]).unwrap_or_default())
            }
        }
    }
}

impl Name {
    /// How the name compares with the string `s`, without rendering it.
    pub fn cmp_str(&self, s: &str) -> Ordering {
        let (t, a, b) = match self {
            Name::Text(x) => return (**x).cmp(s),
            Name::Ids { t, a, b } => (t, a, b),
        };
        let mut rest = s.as_bytes();
        for p in TEMPLATES[usize::from(*t)].iter() {
            let hex;
            let piece: &[u8] = match p {
                Lit(l) => l.as_bytes(),
                A => {
                    hex = hex_digits(a);
                    &hex
                }
                B => {
                    hex = hex_digits(b);
                    &hex
                }
            };
            let n = piece.len().min(rest.len());
            match piece[..n].cmp(&rest[..n]) {
                Ordering::Equal if rest.len() < piece.len() => return Ordering::Greater,
                Ordering::Equal => rest = &rest[piece.len()..],
                o => return o,
            }
        }
        if rest.is_empty() {
            Ordering::Equal
        } else {
            Ordering::Less
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::new(s)
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        // A text name never has a template's form (`Name::new`), so names of
        // different kinds stand for different strings.
        match (self, other) {
            (Name::Ids { t, a, b }, Name::Ids { t: u, a: c, b: d }) => t == u && a == c && b == d,
            (Name::Text(x), Name::Text(y)) => x == y,
            _ => false,
        }
    }
}

impl Eq for Name {}

impl Ord for Name {
    fn cmp(&self, other: &Name) -> Ordering {
        match (self, other) {
            (Name::Ids { t, a, b }, Name::Ids { t: u, a: c, b: d }) if t == u => {
                (a, b).cmp(&(c, d))
            }
            (Name::Ids { t, a, b }, Name::Ids { t: u, a: c, b: d })
                if let Some(o) = cmp_templates(*t, *u, (a, b), (c, d)) =>
            {
                o
            }
            (Name::Text(x), Name::Text(y)) => x.cmp(y),
            (Name::Ids { .. }, Name::Text(y)) => self.cmp_str(y),
            _ => other.with_str(|y| self.cmp_str(y)),
        }
    }
}

/// How names of the different templates `t` and `u` with ids `x` and `y` compare,
/// when the templates decide without rendering: their leading literals differ, or one
/// template's pieces start the other's (a mount point and its brick path).
fn cmp_templates(
    t: u8,
    u: u8,
    x: (&[u8; 16], &[u8; 16]),
    y: (&[u8; 16], &[u8; 16]),
) -> Option<Ordering> {
    let (p, q) = (TEMPLATES[usize::from(t)], TEMPLATES[usize::from(u)]);
    if let (Some(Lit(l)), Some(Lit(m))) = (p.first(), q.first()) {
        let n = l.len().min(m.len());
        if l.as_bytes()[..n] != m.as_bytes()[..n] {
            return Some(l.as_bytes()[..n].cmp(&m.as_bytes()[..n]));
        }
    }
    // The ids of the shorter template's slots (A, then B if it has one), then lengths.
    let slots = |pieces: &[Piece]| pieces.iter().filter(|p| matches!(p, A | B)).count();
    if q.starts_with(p) {
        let ids = if slots(p) == 2 {
            x.cmp(&y)
        } else {
            x.0.cmp(y.0)
        };
        return Some(ids.then(Ordering::Less));
    }
    if p.starts_with(q) {
        let ids = if slots(q) == 2 {
            x.cmp(&y)
        } else {
            x.0.cmp(y.0)
        };
        return Some(ids.then(Ordering::Greater));
    }
    None
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Name) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A line of a file. A brick's fstab line (`/dev/mapper/vg_<a>-brick_<b>
/// <mounts root>/vg_<a>/brick_<b> xfs <options> 1 2`) is held as its ids and the
/// number of its options among the node's strings; any other line as text.
#[derive(Clone, Debug)]
pub(super) enum Line {
    Brick {
        a: [u8; 16],
        b: [u8; 16],
        options: u32,
    },
    Text(Box<str>),
}

const _: () = assert!(std::mem::size_of::<Line>() == 40);

/// Writes a brick's fstab line.
fn write_brick_line(
    f: &mut impl fmt::Write,
    a: &[u8; 16],
    b: &[u8; 16],
    options: &str,
) -> fmt::Result {
    let (a, b) = (hex_digits(a), hex_digits(b));
    let a = std::str::from_utf8(&a).unwrap_or_default();
    let b = std::str::from_utf8(&b).unwrap_or_default();
    write!(
        f,
        "/dev/mapper/vg_{a}-brick_{b} {BRICK_MOUNT_ROOT}/vg_{a}/brick_{b} xfs {options} 1 2"
    )
}

impl Line {
    /// `line`, with the options of a brick line numbered by `intern`.
    pub fn new(line: &str, intern: impl FnOnce(&str) -> u32) -> Line {
        let brick = (|| {
            let r = line.strip_prefix("/dev/mapper/vg_")?;
            let (a, r) = take_hex(r)?;
            let r = r.strip_prefix("-brick_")?;
            let (b, r) = take_hex(r)?;
            let r = r.strip_prefix(' ')?;
            let r = r.strip_prefix(BRICK_MOUNT_ROOT)?;
            let r = r.strip_prefix("/vg_")?;
            let (a2, r) = take_hex(r)?;
            let r = r.strip_prefix("/brick_")?;
            let (b2, r) = take_hex(r)?;
            let options = r.strip_prefix(" xfs ")?.strip_suffix(" 1 2")?;
            (a == a2 && b == b2).then_some((a, b, options))
        })();
        if let Some((a, b, options)) = brick {
            // Kept compact only when it renders as the very line given.
            let mut rendered = String::with_capacity(line.len());
            if write_brick_line(&mut rendered, &a, &b, options).is_ok() && rendered == line {
                return Line::Brick {
                    a,
                    b,
                    options: intern(options),
                };
            }
        }
        Line::Text(line.into())
    }

    /// The line's text, its options looked up in `strings` (what `intern` numbered).
    pub fn text(&self, strings: &[Arc<str>]) -> String {
        match self {
            Line::Text(s) => s.to_string(),
            Line::Brick { a, b, options } => {
                let options = strings.get(*options as usize).map_or("", |s| &**s);
                let mut out = String::new();
                let _ = write_brick_line(&mut out, a, b, options);
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const X: &str = "0123456789abcdef0123456789abcdef";
    const Y: &str = "fedcba9876543210fedcba9876543210";

    /// `line` as a [`Line`] and back, numbering options in `strings`.
    fn round_trip(line: &str, strings: &mut Vec<Arc<str>>) -> (Line, String) {
        let l = Line::new(line, |o| {
            strings.push(Arc::from(o));
            (strings.len() - 1) as u32
        });
        let text = l.text(strings);
        (l, text)
    }

    #[test]
    fn brick_fstab_lines_are_compact_and_unchanged() {
        let mut strings = vec![Arc::from("ro")];
        let line = format!(
            "/dev/mapper/vg_{X}-brick_{Y} {BRICK_MOUNT_ROOT}/vg_{X}/brick_{Y} xfs rw,inode64,noatime,nouuid 1 2"
        );
        let (l, text) = round_trip(&line, &mut strings);
        assert!(matches!(l, Line::Brick { options: 1, .. }), "{l:?}");
        assert_eq!(text, line);
        for other in [
            line.replace(" 1 2", " 0 0"),
            line.replacen(X, Y, 1),
            line.replace("xfs rw,inode64,noatime,nouuid", "xfs  rw"),
            format!("{line} "),
            "# a comment".to_string(),
            String::new(),
        ] {
            assert_eq!(round_trip(&other, &mut strings).1, other);
        }
        assert!(matches!(
            round_trip(&line.replacen(X, Y, 1), &mut strings).0,
            Line::Text(_)
        ));
    }

    #[test]
    fn names_stand_for_their_strings() {
        let strings = [
            format!("tp_{X}"),
            format!("brick_{Y}"),
            format!("vg_{X}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{Y}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{Y}/brick_{X}/brick"),
            "brick".to_string(),
            "".to_string(),
            "brick_b1".to_string(),
            format!("brick_{}", X.to_uppercase()),
            format!("tp_{X}0"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}"),
            format!("tp_{Y}"),
            format!("brick_{X}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{X}"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{Y}/"),
            format!("{BRICK_MOUNT_ROOT}/vg_{X}/brick_{Y}/brick"),
            BRICK_MOUNT_ROOT.to_string(),
            "/var".to_string(),
            "/".to_string(),
            format!("vol_{X}"),
            X.to_string(),
            Y.to_string(),
            format!("{X}_0"),
        ];
        for s in &strings {
            assert_eq!(Name::new(s).to_string(), *s);
        }
        assert!(Name::new(&strings[0]).ids().is_some());
        assert!(Name::new(&strings[3]).ids().is_some());
        assert!(Name::new(&strings[8]).ids().is_none());
        assert!(Name::new(&strings[9]).ids().is_none());
        for x in &strings {
            let line = format!("/dev/mapper/vg_{X}-{x} {BRICK_MOUNT_ROOT}/vg_{X}/{x} xfs rw 1 2");
            assert_eq!(round_trip(&line, &mut Vec::new()).1, line);
            for y in &strings {
                assert_eq!(Name::new(x).cmp(&Name::new(y)), x.cmp(y), "{x} vs {y}");
                assert_eq!(Name::new(x).cmp_str(y), x.cmp(y), "{x} vs {y}");
                assert_eq!(Name::new(x) == Name::new(y), x == y);
            }
        }
    }
}
