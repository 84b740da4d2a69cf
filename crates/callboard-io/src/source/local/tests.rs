//! The loader's unit tests.

use super::*;
use test_support::{write, GROUP};

#[test]
fn allowed_kinds_are_case_insensitive() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "x.yaml", GROUP);
    let options = LocalOptions {
        allowed_kinds: Some(vec!["group".into()]),
        ..LocalOptions::new()
    };
    assert_eq!(
        load_local("t", std::slice::from_ref(&file), &options)
            .entities
            .len(),
        1
    );
    let options = LocalOptions {
        allowed_kinds: Some(vec!["User".into()]),
        ..LocalOptions::new()
    };
    let result = load_local("t", &[file], &options);
    assert!(result.entities.is_empty());
    assert_eq!(result.problems[0].severity, Severity::Warning);
    assert_eq!(
        result.problems[0].message,
        "kind Group is not allowed by the rules; Group team-a was not loaded \
         (Backstage would refuse everything in this registered location)"
    );
}

#[test]
fn walks_skip_ignored_hidden_and_dependency_folders() {
    let dir = tempfile::tempdir().unwrap();
    let user = |n: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: {n}\nspec:\n  memberOf: []\n")
    };
    write(dir.path(), "catalog-info.yaml", &user("a"));
    write(dir.path(), "svc/catalog-info.yml", &user("b"));
    write(dir.path(), "node_modules/x/catalog-info.yaml", &user("c"));
    write(dir.path(), ".hidden/catalog-info.yaml", &user("d"));
    write(dir.path(), "ignored/catalog-info.yaml", &user("e"));
    write(dir.path(), "other.yaml", &user("f"));
    write(dir.path(), ".gitignore", "ignored/\n");
    let result = load_local("t", &[dir.path().to_path_buf()], &LocalOptions::new());
    assert!(result.problems.is_empty(), "{:?}", result.problems);
    let names: Vec<&str> = result.entities.iter().map(|e| e.entity.name()).collect();
    assert_eq!(names, vec!["a", "b"]);
    assert_eq!(result.files_read, 2);
}

#[test]
fn missing_root_is_a_problem() {
    let result = load_local(
        "t",
        &[PathBuf::from("/definitely/not/here")],
        &LocalOptions::new(),
    );
    assert_eq!(result.problems.len(), 1);
    assert_eq!(result.problems[0].location, "/definitely/not/here");
    assert_eq!(result.files_read, 0);
}

/// Load on a thread, failing (not hanging) when it takes over 10 s.
#[cfg(unix)]
fn load_within_10s(roots: Vec<PathBuf>) -> LoadResult {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(load_local("t", &roots, &LocalOptions::new()));
    });
    rx.recv_timeout(std::time::Duration::from_secs(10))
        .expect("loading blocked on a named pipe")
}

#[cfg(unix)]
#[test]
fn named_pipes_are_refused_not_opened() {
    use crate::safe_fs::tests::mkfifo;
    let dir = tempfile::tempdir().unwrap();
    // A `$text` placeholder and a Location target, each naming a pipe.
    for (file, text, pipe) in [
        (
            "c.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c\n  description:\n    $text: ./pipe.txt\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n",
            "pipe.txt",
        ),
        (
            "loc.yaml",
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: l\nspec:\n  targets: [./target.yaml]\n",
            "target.yaml",
        ),
    ] {
        let file = write(dir.path(), file, text);
        mkfifo(&dir.path().join(pipe));
        let result = load_within_10s(vec![file]);
        assert!(
            result
                .problems
                .iter()
                .any(|p| p.message.contains("named pipe")),
            "{:?}",
            result.problems
        );
    }
}

#[cfg(unix)]
#[test]
fn a_linked_or_piped_descriptor_in_a_walked_root_is_skipped_with_a_reason() {
    use crate::safe_fs::tests::mkfifo;
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "catalog-info.yaml", GROUP);
    std::fs::create_dir_all(dir.path().join("a")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("catalog-info.yaml"),
        dir.path().join("a/catalog-info.yaml"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("b")).unwrap();
    mkfifo(&dir.path().join("b/catalog-info.yaml"));
    let result = load_within_10s(vec![dir.path().to_path_buf()]);
    assert!(result.entities.is_empty());
    let messages: Vec<&str> = result.problems.iter().map(|p| p.message.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("symbolic link") && m.contains("skipped")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("named pipe") && m.contains("skipped")),
        "{messages:?}"
    );
}
