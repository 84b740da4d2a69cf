//! A file split into pieces at document boundaries and parsed on several
//! threads (`load_local_pieces`) loads exactly as one parse of the whole
//! file: the same entities, problems with their lines, Location targets,
//! duplicates and order — on texts whose boundaries are easy to get wrong.
//! (`sync_compact.rs` compares the same on the fixtures and generated
//! catalogs.)

use std::path::{Path, PathBuf};

use callboard_io::source::local::{load_local_compact_pieces, load_local_pieces, LocalOptions};

/// Every piece size from one document per piece to the whole file gives
/// the whole-file result; returns it.
fn assert_pieces_agree(roots: &[PathBuf]) -> callboard_io::source::LoadResult {
    let options = LocalOptions::new();
    let whole = load_local_pieces("t", roots, &options, usize::MAX);
    for piece_bytes in [1, 7, 64, 300, 4096] {
        let pieces = load_local_pieces("t", roots, &options, piece_bytes);
        assert_eq!(pieces.problems, whole.problems, "pieces of {piece_bytes}");
        assert_eq!(pieces.entities, whole.entities, "pieces of {piece_bytes}");
        assert_eq!(pieces.files_read, whole.files_read);
        let compact = load_local_compact_pieces("t", roots, &options, piece_bytes);
        assert_eq!(
            compact.problems, whole.problems,
            "compact, pieces of {piece_bytes}"
        );
        assert_eq!(compact.entities.len(), whole.entities.len());
    }
    whole
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

const TRICKY: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: first
  description: |
    a block scalar with markers inside
    ---
    --- not a marker
    ...
    ... neither
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: quoted
  title: "a quoted scalar
    --- still the title
    ... and here"
  description: 'single
    ---
    quoted'
spec: {type: service, lifecycle: production, owner: team-a, dependsOn: [component:first]}
---
---
# only a comment
---
null
...
%YAML 1.2
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: "bad name!"
spec: {type: service}
--- |
a root block scalar
---	# a marker followed by a tab
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: broken
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: first
spec: {type: service, lifecycle: production, owner: someone-else}
--- {"apiVersion": "backstage.io/v1alpha1", "kind": "Group", "metadata": {"name": "team-a"}, "spec": {"type": "team", "children": []}}
--- &anchor
apiVersion: backstage.io/v1alpha1
kind: Location
metadata: {name: onwards}
spec: {targets: [./more.yaml]}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: after-error
  labels: {a: *missing}
spec: {type: service, lifecycle: production, owner: team-a}
...
"#;

const MORE: &str = "apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: u1}\nspec: {memberOf: [team-a]}\n---\n- a list\n";

#[test]
fn pieces_load_like_the_whole_file_on_tricky_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    // Starting without a marker, LF.
    let plain = write(dir.path(), "plain/catalog-info.yaml", TRICKY);
    write(dir.path(), "plain/more.yaml", MORE);
    // Starting with a marker, CRLF and a byte order mark.
    let crlf = format!("\u{feff}---\r\n{}", TRICKY.replace('\n', "\r\n"));
    let crlf = write(dir.path(), "crlf/catalog-info.yaml", &crlf);
    write(dir.path(), "crlf/more.yaml", &MORE.replace('\n', "\r\n"));
    for root in [plain, crlf] {
        let whole = assert_pieces_agree(std::slice::from_ref(&root));
        let names: Vec<&str> = whole.entities.iter().map(|e| e.entity.name()).collect();
        assert_eq!(
            names,
            ["first", "quoted", "team-a", "onwards", "u1"],
            "{:?}",
            whole.problems
        );
        let lines: Vec<Option<u32>> = whole.problems.iter().map(|p| p.line).collect();
        assert!(whole.problems.len() >= 6, "{:?}", whole.problems);
        assert!(lines.iter().all(Option::is_some), "{:?}", whole.problems);
        assert!(
            whole
                .problems
                .iter()
                .any(|p| p.message.contains("duplicate entity")),
            "{:?}",
            whole.problems
        );
        assert!(
            whole
                .problems
                .iter()
                .any(|p| p.message.contains("syntax error")),
            "{:?}",
            whole.problems
        );
    }
    // Both folders at once (every entity a duplicate in the second).
    assert_pieces_agree(&[
        dir.path().join("plain/catalog-info.yaml"),
        dir.path().join("crlf/catalog-info.yaml"),
    ]);
}

#[test]
fn pieces_carry_the_alias_budget_of_the_whole_file() {
    // Each `e` expands to about 111k values; the file's budget is 1M.
    let anchors = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    let doc = |name: &str| {
        format!("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  {}big: [*e, *e, *e, *e]\n", anchors.replace('\n', "\n  "))
    };
    let text = format!("{}---\n{}---\n{}", doc("one"), doc("two"), doc("three"));
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "aliases.yaml", &text);
    let whole = assert_pieces_agree(&[file]);
    let names: Vec<&str> = whole.entities.iter().map(|e| e.entity.name()).collect();
    assert_eq!(names, ["one"], "{:?}", whole.problems);
    assert!(
        whole
            .problems
            .iter()
            .any(|p| p.message.contains("aliases expand to more than")),
        "{:?}",
        whole.problems
    );
}
