//! The files a template run will write, as a tree for people to read
//! before anything is written (the TUI's plan page, `template run
//! --dry-run`).

use crate::text::sanitize_line;

/// The file tree a plan will write, as indented lines:
/// `out/` then `  README.md  (42 B)`. Paths are `/`-separated and sorted.
pub fn file_tree_lines<'a>(files: impl IntoIterator<Item = (&'a str, usize)>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut open: Vec<String> = Vec::new();
    let mut files: Vec<(&str, usize)> = files.into_iter().collect();
    files.sort();
    for (path, size) in files {
        let parts: Vec<&str> = path.split('/').collect();
        let (dirs, name) = parts.split_at(parts.len() - 1);
        let common = open
            .iter()
            .zip(dirs.iter())
            .take_while(|(a, b)| a.as_str() == **b)
            .count();
        open.truncate(common);
        for d in &dirs[common..] {
            lines.push(format!("{}{}/", "  ".repeat(open.len()), sanitize_line(d)));
            open.push(d.to_string());
        }
        lines.push(format!(
            "{}{}  ({})",
            "  ".repeat(open.len()),
            sanitize_line(name[0]),
            human_size(size)
        ));
    }
    lines
}

fn human_size(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", n as f64 / (1024.0 * 1024.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_groups_directories() {
        let lines = file_tree_lines([("out/b.txt", 3), ("out/a/x.md", 2000), ("top.txt", 1)]);
        assert_eq!(
            lines,
            vec![
                "out/",
                "  a/",
                "    x.md  (2.0 KiB)",
                "  b.txt  (3 B)",
                "top.txt  (1 B)"
            ]
        );
    }
}
