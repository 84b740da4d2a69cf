//! `copyWithoutTemplating` as the scaffolder reads it: `fetch:template`
//! (plugin-scaffolder-backend `templateActionHandler`) asks `globby` 11 for
//! the patterns (`dot`, `onlyFiles: false`, `markDirectories`, no symlinks
//! followed) and copies raw the entries whose path is *exactly* one of the
//! strings globby returns. So the rules are globby's, dir-glob's and
//! fast-glob's 3.3, not a plain glob match:
//!
//! - a pattern naming a folder (`docs`, `docs/`, `./docs`, `.github/workflows/`)
//!   becomes `folder/**` (dir-glob, checked against the template folder);
//! - `!` patterns exclude only for the positive patterns *before* them
//!   (globby `generateGlobTasks`); they are never folder-expanded (dir-glob
//!   is called there without the cwd); one whose last segment is literal or
//!   that ends in `/**` also prunes the folders it matches (fast-glob's deep
//!   filter), others match file paths only;
//! - braces expand first; duplicate slashes collapse;
//! - a literal pattern is returned as written, a glob's results carry its
//!   literal base as written: `./docs/x.yaml` or `./docs/*.yaml` yield
//!   `./docs/x.yaml`, which is never an entry path, so they copy nothing raw
//!   (while `./*.yaml` yields `x.yaml` and does);
//! - a literal pattern through a file (`a.txt/`) is an `ENOTDIR` error.

use std::collections::BTreeSet;

use globset::{GlobBuilder, GlobMatcher};

use super::StepError;

/// The entries globby would return for the patterns, for files only.
pub(super) struct CopyOnly {
    tasks: Vec<Task>,
}

struct Task {
    /// Literal pattern (fast-glob static task): the path as written.
    literal: Option<String>,
    /// Glob: the literal base prefix as written (`""` for `.`) and matcher.
    prefix: String,
    matcher: Option<GlobMatcher>,
    negatives: Vec<Negative>,
}

struct Negative {
    matcher: GlobMatcher,
    /// Prunes the folders it matches (fast-glob `isAffectDepthOfReadingPattern`).
    prunes: bool,
}

impl CopyOnly {
    /// `dirs` and `files`: every folder and file of the template folder, as
    /// relative `/`-separated paths.
    pub(super) fn new(
        patterns: &[String],
        dirs: &BTreeSet<String>,
        files: &BTreeSet<String>,
    ) -> Result<CopyOnly, StepError> {
        // array-union: duplicates dropped, first kept.
        let mut uniq: Vec<&str> = Vec::new();
        for p in patterns {
            if !uniq.contains(&p.as_str()) {
                uniq.push(p);
            }
        }
        let mut tasks = Vec::new();
        for (i, p) in uniq.iter().enumerate() {
            if p.starts_with('!') {
                continue;
            }
            let mut negatives = Vec::new();
            for n in uniq[i..].iter().filter_map(|n| n.strip_prefix('!')) {
                for n in fast_glob_patterns(n) {
                    let n = n.strip_prefix("./").unwrap_or(&n).to_string();
                    if n.starts_with('/') {
                        continue;
                    }
                    let base = n.rsplit('/').next().unwrap_or("");
                    negatives.push(Negative {
                        matcher: matcher(&n)?,
                        prunes: n.ends_with("/**") || !is_dynamic(base),
                    });
                }
            }
            let expanded = expand_dir(p, dirs);
            for q in fast_glob_patterns(&expanded) {
                if q.starts_with('/') || q.starts_with("../") || q == ".." {
                    continue;
                }
                if is_dynamic(&q) {
                    let base = glob_parent(&q);
                    if base.starts_with('/') || base == ".." || base.starts_with("../") {
                        continue;
                    }
                    let prefix = if base == "." {
                        String::new()
                    } else {
                        format!("{base}/")
                    };
                    let body = q.strip_prefix("./").unwrap_or(&q);
                    tasks.push(Task {
                        literal: None,
                        prefix,
                        matcher: Some(matcher(body)?),
                        negatives: clone_negatives(&negatives),
                    });
                } else {
                    check_not_through_file(&q, files)?;
                    tasks.push(Task {
                        literal: Some(q),
                        prefix: String::new(),
                        matcher: None,
                        negatives: clone_negatives(&negatives),
                    });
                }
            }
        }
        Ok(CopyOnly { tasks })
    }

    /// Whether the file at `path` is copied without templating.
    pub(super) fn contains(&self, path: &str) -> bool {
        self.tasks.iter().any(|t| t.contains(path))
    }
}

fn clone_negatives(n: &[Negative]) -> Vec<Negative> {
    n.iter()
        .map(|n| Negative {
            matcher: n.matcher.clone(),
            prunes: n.prunes,
        })
        .collect()
}

impl Task {
    fn contains(&self, path: &str) -> bool {
        let excluded = |p: &str| self.negatives.iter().any(|n| n.matcher.is_match(p));
        if let Some(lit) = &self.literal {
            return lit == path && !excluded(path);
        }
        let Some(rest) = path.strip_prefix(self.prefix.as_str()) else {
            return false;
        };
        if !self.matcher.as_ref().is_some_and(|m| m.is_match(path)) || excluded(path) {
            return false;
        }
        // Folders read below the base that a pruning negative matches are
        // never entered.
        let mut dir = self.prefix.trim_end_matches('/').to_string();
        let segments: Vec<&str> = rest.split('/').collect();
        for seg in &segments[..segments.len().saturating_sub(1)] {
            dir = if dir.is_empty() {
                seg.to_string()
            } else {
                format!("{dir}/{seg}")
            };
            if self
                .negatives
                .iter()
                .any(|n| n.prunes && n.matcher.is_match(&dir))
            {
                return false;
            }
        }
        true
    }
}

/// dir-glob: a pattern that names a folder of the template becomes
/// `path.posix.join(pattern, '**')` (normalised).
fn expand_dir(p: &str, dirs: &BTreeSet<String>) -> String {
    if p.starts_with('/') {
        return p.to_string();
    }
    match normalize(p) {
        Some(n) if n.is_empty() => "**".to_string(),
        Some(n) if dirs.contains(&n) => format!("{n}/**"),
        _ => p.to_string(),
    }
}

/// `.` and `..` resolved, empty segments dropped; `None` above the root.
fn normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            s => out.push(s),
        }
    }
    Some(out.join("/"))
}

/// A literal path through an existing file (`a.txt/`, `a.txt/b`) is a
/// failed `stat` (ENOTDIR), which fast-glob does not suppress.
fn check_not_through_file(q: &str, files: &BTreeSet<String>) -> Result<(), StepError> {
    let segs: Vec<&str> = q.split('/').collect();
    let mut stack: Vec<&str> = Vec::new();
    for (i, seg) in segs.iter().enumerate() {
        match *seg {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            s => stack.push(s),
        }
        let more = i + 1 < segs.len();
        if more && !stack.is_empty() && files.contains(&stack.join("/")) {
            return Err(StepError::Fail(format!(
                "ENOTDIR: not a directory, stat '{q}' (copyWithoutTemplating)"
            )));
        }
    }
    Ok(())
}

/// fast-glob's pattern preparation: brace expansion, then duplicate
/// slashes (after the first two characters) collapsed.
fn fast_glob_patterns(p: &str) -> Vec<String> {
    let mut out: Vec<String> = expand_braces(p)
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| remove_duplicate_slashes(&p))
        .collect();
    out.dedup();
    out
}

fn remove_duplicate_slashes(p: &str) -> String {
    // /(?!^)\/{2,}/g: runs of slashes collapse, except where one starts
    // the pattern.
    let mut out = String::new();
    for (i, c) in p.chars().enumerate() {
        if c == '/' && i > 1 && out.ends_with('/') {
            continue;
        }
        if c == '/' && i == 1 && out == "/" {
            out.push(c);
            continue;
        }
        out.push(c);
    }
    out
}

/// micromatch.braces with `expand`: `{a,b}` lists (nested) and numeric or
/// single-letter `{x..y}` ranges; other braces stay as written.
fn expand_braces(p: &str) -> Vec<String> {
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == '{' {
            if let Some((end, parts)) = brace_group(&chars, i) {
                let head: String = chars[..i].iter().collect();
                let tail: String = chars[end + 1..].iter().collect();
                let mut out = Vec::new();
                for part in parts {
                    for rest in expand_braces(&format!("{part}{tail}")) {
                        out.push(format!("{head}{rest}"));
                    }
                }
                return out;
            }
        }
        i += 1;
    }
    vec![p.to_string()]
}

/// The alternatives of the brace group opening at `start`, if it expands.
fn brace_group(chars: &[char], start: usize) -> Option<(usize, Vec<String>)> {
    let mut depth = 0;
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.get(i + 1) {
                    cur.push(*n);
                }
                i += 2;
                continue;
            }
            '{' => {
                depth += 1;
                if depth > 1 {
                    cur.push(c);
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    parts.push(std::mem::take(&mut cur));
                    if parts.len() > 1 {
                        return Some((i, parts));
                    }
                    return range(&parts[0]).map(|r| (i, r));
                }
                cur.push(c);
            }
            ',' if depth == 1 => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
        i += 1;
    }
    None
}

fn range(s: &str) -> Option<Vec<String>> {
    let (a, b) = s.split_once("..")?;
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        let v: Vec<String> = if x <= y {
            (x..=y).map(|n| n.to_string()).collect()
        } else {
            (y..=x).rev().map(|n| n.to_string()).collect()
        };
        return Some(v);
    }
    let (mut ca, mut cb) = (a.chars(), b.chars());
    match (ca.next(), ca.next(), cb.next(), cb.next()) {
        (Some(x), None, Some(y), None) if x.is_ascii_alphabetic() && y.is_ascii_alphabetic() => {
            let v: Vec<String> = if x <= y {
                (x..=y).map(String::from).collect()
            } else {
                (y..=x).rev().map(String::from).collect()
            };
            Some(v)
        }
        _ => None,
    }
}

/// fast-glob `isDynamicPattern` (case-sensitive, braces and extglobs on).
fn is_dynamic(p: &str) -> bool {
    if p.is_empty() {
        return false;
    }
    if p.contains('\\') || p.contains('*') || p.contains('?') || p.starts_with('!') {
        return true;
    }
    // \[[^[]*]
    if let Some(o) = p.find('[') {
        let after = &p[o + 1..];
        if let Some(c) = after.find(']') {
            if !after[..c].contains('[') {
                return true;
            }
        }
        // a later '[' may open a class too
        if after.contains('[') && is_dynamic(after) {
            return true;
        }
    }
    // groups (a|b) and extglobs @(…)
    let b = p.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'(' {
            let close = p[i + 1..].find(')');
            let inner = close.map(|c| &p[i + 1..i + 1 + c]);
            if let Some(inner) = inner {
                if inner.contains('(') {
                    continue;
                }
                let prev = if i == 0 { None } else { Some(b[i - 1]) };
                if matches!(prev, Some(b'!' | b'*' | b'+' | b'?' | b'@')) || inner.contains('|') {
                    return true;
                }
            }
        }
    }
    // hasBraceExpansion: the first {…} holds `,` or `..`
    if let Some(o) = p.find('{') {
        if let Some(c) = p[o + 1..].find('}') {
            let content = &p[o..o + 1 + c];
            if content.contains(',') || content.contains("..") {
                return true;
            }
        }
    }
    false
}

/// glob-parent 5: the leading folders before the first globby segment.
fn glob_parent(p: &str) -> String {
    let mut s = format!("{p}a");
    loop {
        s = posix_dirname(&s);
        if !is_globby(&s) {
            break;
        }
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(|n| "!*?|[](){}".contains(*n)) {
            out.push(chars.next().unwrap_or_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn posix_dirname(s: &str) -> String {
    let t = s.trim_end_matches('/');
    if t.is_empty() {
        return if s.starts_with('/') {
            "/".into()
        } else {
            ".".into()
        };
    }
    match t.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let d = t[..i].trim_end_matches('/');
            if d.is_empty() {
                "/".into()
            } else {
                d.to_string()
            }
        }
    }
}

fn is_globby(s: &str) -> bool {
    if s.starts_with('{') || s.starts_with('[') {
        return true;
    }
    let b = s.as_bytes();
    if b.windows(2)
        .any(|w| w[0] != b'\\' && (w[1] == b'{' || w[1] == b'['))
    {
        return true;
    }
    // an unclosed paren at the end
    if let Some(o) = s.rfind('(') {
        if !s[o..].contains(')') && s.len() > o + 1 {
            return true;
        }
    }
    is_dynamic(s)
}

/// A micromatch pattern (braces already expanded) as a globset matcher:
/// `*` and `?` stop at `/`, `**` spans folders, dot files match, leftover
/// braces are literal, `@(a|b)` and `?(a|b)` extglobs become alternations.
fn matcher(p: &str) -> Result<GlobMatcher, StepError> {
    let mut g = String::new();
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                g.push(c);
                if let Some(n) = chars.get(i + 1) {
                    g.push(*n);
                }
                i += 2;
                continue;
            }
            '{' | '}' => {
                g.push('\\');
                g.push(c);
            }
            '@' | '?' | '!' | '+' | '*' if chars.get(i + 1) == Some(&'(') => {
                let close = chars[i + 2..].iter().position(|&x| x == ')');
                match close {
                    Some(len) => {
                        let inner: String = chars[i + 2..i + 2 + len].iter().collect();
                        let alts = inner.replace('|', ",");
                        match c {
                            '@' => g.push_str(&format!("{{{alts}}}")),
                            '?' => g.push_str(&format!("{{,{alts}}}")),
                            _ => {
                                return Err(StepError::Fail(format!(
                                    "copyWithoutTemplating {p:?}: the extglob {c}(…) is not supported by local runs"
                                )))
                            }
                        }
                        i += 3 + len;
                        continue;
                    }
                    None => g.push(c),
                }
            }
            _ => g.push(c),
        }
        i += 1;
    }
    GlobBuilder::new(&g)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| StepError::Fail(format!("bad glob {p:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The folder the expectations below were taken from: each case is what
    /// globby 11.1.0 (the scaffolder backend's) returned for it there,
    /// files only.
    fn tree() -> (BTreeSet<String>, BTreeSet<String>) {
        let files = [
            ".github/workflows/ci.yml",
            ".github/CODEOWNERS",
            "docs/x.yaml",
            "docs/sub/y.md",
            "a/b/c.txt",
            "top.txt",
            "src/main.rs",
            "${{ values.name }}/f.txt",
            ".hidden",
        ];
        let dirs = [
            ".github",
            ".github/workflows",
            "docs",
            "docs/sub",
            "a",
            "a/b",
            "src",
            "${{ values.name }}",
        ];
        (
            dirs.iter().map(|s| s.to_string()).collect(),
            files.iter().map(|s| s.to_string()).collect(),
        )
    }

    fn raw(patterns: &[&str]) -> Vec<String> {
        let (dirs, files) = tree();
        let p: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        let Ok(c) = CopyOnly::new(&p, &dirs, &files) else {
            panic!("{patterns:?} failed")
        };
        files.iter().filter(|f| c.contains(f)).cloned().collect()
    }

    #[track_caller]
    fn check(patterns: &[&str], want: &[&str]) {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(raw(patterns), want, "{patterns:?}");
    }

    #[test]
    fn folder_patterns_copy_the_folder_with_or_without_slash_or_dot_prefix() {
        check(&[".github/workflows/"], &[".github/workflows/ci.yml"]);
        check(&[".github/workflows"], &[".github/workflows/ci.yml"]);
        check(
            &[".github"],
            &[".github/CODEOWNERS", ".github/workflows/ci.yml"],
        );
        check(&["docs/"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["./docs"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["./docs/"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["docs/../docs"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["docs/sub/"], &["docs/sub/y.md"]);
        check(&["${{ values.name }}"], &["${{ values.name }}/f.txt"]);
        let all = tree().1.len();
        assert_eq!(raw(&["."]).len(), all);
        assert_eq!(raw(&["./"]).len(), all);
        assert_eq!(raw(&["**"]).len(), all);
        assert_eq!(raw(&[""]).len(), all);
    }

    #[test]
    fn a_dot_slash_prefix_on_a_file_or_a_glob_with_a_folder_base_copies_nothing_raw() {
        check(&["./docs/x.yaml"], &[]);
        check(&["docs/./x.yaml"], &[]);
        check(&["docs/../top.txt"], &[]);
        check(&["./docs/*.yaml"], &[]);
        check(&["./*.txt"], &["top.txt"]);
        check(&["src/*.rs", "./top.txt"], &["src/main.rs"]);
        check(&["docs//x.yaml"], &["docs/x.yaml"]);
        check(&["/docs"], &[]);
    }

    #[test]
    fn globs_follow_micromatch() {
        check(&["docs/x.yaml"], &["docs/x.yaml"]);
        check(&["docs/**"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["**/*.yaml"], &["docs/x.yaml"]);
        check(
            &["*/*"],
            &[
                "${{ values.name }}/f.txt",
                ".github/CODEOWNERS",
                "docs/x.yaml",
                "src/main.rs",
            ],
        );
        check(&["*.txt"], &["top.txt"]);
        check(&["*"], &[".hidden", "top.txt"]);
        check(&["docs/*"], &["docs/x.yaml"]);
        check(&["**/ci.yml"], &[".github/workflows/ci.yml"]);
        check(&["a/**/c.txt"], &["a/b/c.txt"]);
        check(&["*.{txt,rs}"], &["top.txt"]);
        check(&["{docs,src}/*"], &["docs/x.yaml", "src/main.rs"]);
        check(&["docs/{x,y}.yaml"], &["docs/x.yaml"]);
        check(&["[ab]/**"], &["a/b/c.txt"]);
        check(&["docs/?.yaml"], &["docs/x.yaml"]);
        check(&["a/*/c.txt"], &["a/b/c.txt"]);
        check(
            &["@(docs|src)/**"],
            &["docs/sub/y.md", "docs/x.yaml", "src/main.rs"],
        );
        check(&["${{ values.name }}/*.txt"], &["${{ values.name }}/f.txt"]);
        check(&["nope"], &[]);
        check(&["DOCS"], &[]);
        check(&["**/*.YAML"], &[]);
        check(&["docs/*/"], &[]);
    }

    #[test]
    fn negations_apply_to_earlier_patterns_and_prune_literal_folders() {
        check(&["docs", "!docs/x.yaml"], &["docs/sub/y.md"]);
        check(&["!docs/x.yaml"], &[]);
        check(&["!docs/x.yaml", "docs"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["docs", "!docs/sub"], &["docs/x.yaml"]);
        check(&["docs", "!docs/sub/"], &["docs/sub/y.md", "docs/x.yaml"]);
        check(&["docs/**", "!docs/sub/**"], &["docs/x.yaml"]);
        check(&["docs", "!./docs/x.yaml"], &["docs/sub/y.md"]);
        check(&["docs", "!docs/*.yaml"], &["docs/sub/y.md"]);
        check(&["docs", "!**/y.md"], &["docs/x.yaml"]);
        check(&["docs/sub/y.md", "!docs/**"], &[]);
        check(&["docs/x.yaml", "!docs"], &["docs/x.yaml"]);
        check(&["top.txt", "!*"], &[]);
        check(
            &["*/*", "!docs"],
            &[
                "${{ values.name }}/f.txt",
                ".github/CODEOWNERS",
                "src/main.rs",
            ],
        );
        check(&["docs/sub/y.md", "!docs/sub"], &["docs/sub/y.md"]);
        check(&["**/*.md", "!docs/sub"], &[]);
        check(&["**/*.md", "!docs/*"], &["docs/sub/y.md"]);
        check(&[".github/*/*.yml", "!.github/workflows"], &[]);
        check(
            &["**", "!**/sub/**"],
            &[
                "${{ values.name }}/f.txt",
                ".github/CODEOWNERS",
                ".github/workflows/ci.yml",
                ".hidden",
                "a/b/c.txt",
                "docs/x.yaml",
                "src/main.rs",
                "top.txt",
            ],
        );
    }

    #[test]
    fn a_literal_path_through_a_file_is_an_error() {
        let (dirs, files) = tree();
        assert!(CopyOnly::new(&["a/b/c.txt/".into()], &dirs, &files).is_err());
        assert!(CopyOnly::new(&["top.txt/x".into()], &dirs, &files).is_err());
        assert!(CopyOnly::new(&["nope/".into()], &dirs, &files).is_ok());
    }
}
