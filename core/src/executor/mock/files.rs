//! A node's text files: the fstab, and the backups `sed -i<suffix>` leaves of it.
//!
//! Every brick delete runs `sed -i.save "/<brick>/d" <fstab>`, which leaves the fstab as
//! it was in `<fstab>.save`: a second copy of a file of one line a brick. A backup is
//! kept here as what sets it apart from the file it was made from (the lines the edit
//! took out, and how many lines were added since), and reads as the whole file.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::name::Line;

#[derive(Clone, Debug)]
enum File {
    Lines(Vec<Line>),
    /// What `base` (a [`File::Lines`]) held before an edit: its lines now but the
    /// last `appended`, with `removed` put back (positions in the old file,
    /// ascending).
    Backup {
        base: String,
        removed: Vec<(usize, Line)>,
        appended: usize,
    },
}

#[derive(Clone, Debug, Default)]
pub(super) struct Files {
    files: BTreeMap<String, File>,
}

impl Files {
    /// Writes `path` with `lines` (replacing what it held).
    pub fn create(&mut self, path: &str, lines: Vec<Line>) {
        self.materialize_backups_of(path);
        self.files.insert(path.to_string(), File::Lines(lines));
    }

    pub fn exists(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }

    /// The lines of `path`.
    pub fn lines(&self, path: &str) -> Option<Cow<'_, [Line]>> {
        match self.files.get(path)? {
            File::Lines(lines) => Some(Cow::Borrowed(lines)),
            File::Backup {
                base,
                removed,
                appended,
            } => {
                let now: &[Line] = match self.files.get(base) {
                    Some(File::Lines(lines)) => lines,
                    // A backup's base is always plain lines (see `materialize_backups_of`).
                    _ => &[],
                };
                let kept = &now[..now.len().saturating_sub(*appended)];
                let mut out = Vec::with_capacity(kept.len() + removed.len());
                let mut rest = kept.iter();
                for (pos, line) in removed {
                    while out.len() < *pos {
                        match rest.next() {
                            Some(l) => out.push(l.clone()),
                            None => break,
                        }
                    }
                    out.push(line.clone());
                }
                out.extend(rest.cloned());
                Some(Cow::Owned(out))
            }
        }
    }

    /// Appends `line` to `path` (made when missing).
    pub fn append(&mut self, path: &str, line: Line) {
        self.materialize(path);
        for f in self.files.values_mut() {
            if let File::Backup { base, appended, .. } = f
                && base == path
            {
                *appended += 1;
            }
        }
        match self
            .files
            .entry(path.to_string())
            .or_insert_with(|| File::Lines(Vec::new()))
        {
            File::Lines(lines) => lines.push(line),
            File::Backup { .. } => unreachable!("materialized above"),
        }
    }

    /// `sed -i<suffix> "/<pattern>/d" path`: takes out the lines `drop` picks, and
    /// leaves what `path` held in `backup` when given. `false` when there is no such
    /// file.
    pub fn delete_lines(
        &mut self,
        path: &str,
        backup: Option<&str>,
        drop: impl Fn(&Line) -> bool,
    ) -> bool {
        if !self.exists(path) {
            return false;
        }
        self.materialize(path);
        // Backups of this file cannot follow an edit that takes lines out, nor those
        // of the file the backup replaces.
        self.materialize_backups_of(path);
        if let Some(b) = backup {
            self.materialize_backups_of(b);
        }
        let Some(File::Lines(lines)) = self.files.get_mut(path) else {
            return false;
        };
        let mut removed = Vec::new();
        let mut kept = Vec::with_capacity(lines.len());
        for (i, l) in std::mem::take(lines).into_iter().enumerate() {
            if drop(&l) {
                removed.push((i, l));
            } else {
                kept.push(l);
            }
        }
        *lines = kept;
        if let Some(b) = backup.filter(|b| *b != path) {
            self.files.insert(
                b.to_string(),
                File::Backup {
                    base: path.to_string(),
                    removed,
                    appended: 0,
                },
            );
        }
        true
    }

    /// Makes `path` plain lines if it is a backup.
    fn materialize(&mut self, path: &str) {
        if matches!(self.files.get(path), Some(File::Backup { .. }))
            && let Some(lines) = self.lines(path).map(Cow::into_owned)
        {
            self.files.insert(path.to_string(), File::Lines(lines));
        }
    }

    /// Makes every backup of `path` plain lines.
    fn materialize_backups_of(&mut self, path: &str) {
        let of: Vec<String> = self
            .files
            .iter()
            .filter(|(_, f)| matches!(f, File::Backup { base, .. } if base == path))
            .map(|(k, _)| k.clone())
            .collect();
        for k in of {
            self.materialize(&k);
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn line(s: &str) -> Line {
        Line::new(s, |_| 0)
    }

    fn text(lines: &[Line]) -> Vec<String> {
        lines.iter().map(|l| l.text(&[])).collect()
    }

    proptest! {
        /// Any sequence of appends and `sed -i` edits, with and without backups, with
        /// backups of backups and edits of backups, reads as plain copies would.
        #[test]
        fn files_read_as_plain_copies(
            ops in proptest::collection::vec((0u8..3, 0usize..4, 0usize..4, 0u8..6), 0..60)
        ) {
            let paths = ["/etc/fstab", "/etc/fstab.save", "/etc/fstab.save.save", "/etc/other"];
            let mut files = Files::default();
            let mut model: BTreeMap<String, Vec<String>> = BTreeMap::new();
            files.create(paths[0], Vec::new());
            model.insert(paths[0].to_string(), Vec::new());
            let mut n = 0;
            for (op, p, b, pat) in ops {
                let path = paths[p];
                match op {
                    0 | 1 => {
                        n += 1;
                        let l = format!("line {n} tag{}", n % 6);
                        files.append(path, line(&l));
                        model.entry(path.to_string()).or_default().push(l);
                    }
                    _ => {
                        let pattern = format!("tag{pat}");
                        let backup = (b != p).then_some(paths[b]);
                        let done = files.delete_lines(path, backup, |l| l.text(&[]).contains(&pattern));
                        prop_assert_eq!(done, model.contains_key(path));
                        if let Some(old) = model.get(path).cloned() {
                            if let Some(b) = backup {
                                model.insert(b.to_string(), old.clone());
                            }
                            let kept = old.into_iter().filter(|l| !l.contains(&pattern)).collect();
                            model.insert(path.to_string(), kept);
                        }
                    }
                }
                for path in paths {
                    let got = files.lines(path).map(|l| text(&l));
                    prop_assert_eq!(got, model.get(path).cloned(), "{}", path);
                }
            }
        }
    }
}
