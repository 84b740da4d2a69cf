//! Property tests: the YAML reader and the loader never panic on any input,
//! and entity refs keep their invariants.

use std::path::PathBuf;

use callboard_core::catalog::entity_ref::split_ref;
use callboard_core::catalog::{EntityRef, RefContext};
use callboard_io::source::local::{load_local, LocalOptions};
use callboard_io::source::yaml::parse_documents;
use proptest::prelude::*;

/// Text made of YAML's structural characters, so the parser sees nesting,
/// anchors, tags, flow collections, block scalars and document markers far
/// more often than in uniformly random text.
fn yamlish() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "\n",
        "---\n",
        "...\n",
        "- ",
        ": ",
        "  ",
        "? ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "&a ",
        "*a",
        "&b ",
        "*b",
        "!!str ",
        "!!int ",
        "!x ",
        "|\n",
        ">-\n",
        "'q'",
        "\"d\\n\"",
        "# c\n",
        "%YAML 1.2\n",
        "$text: x",
        "~",
        "0x1F",
        "0o7",
        "-12",
        "1.5e3",
        ".inf",
        ".NaN",
        "true",
        "null",
        "name",
        "kind",
        "spec",
        "metadata",
        "a",
        "b",
        "x-y",
        "\t",
        "\r\n",
        "\u{feff}",
        "é",
        "\u{0}",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..80).prop_map(|v| v.concat())
}

fn check_documents(text: &str) -> Result<(), TestCaseError> {
    let line_count = text.split('\n').count() as u32 + 1;
    let (docs, errors) = parse_documents(text);
    for doc in &docs {
        prop_assert!(!doc.value.is_null());
        prop_assert!(
            doc.line >= 1 && doc.line <= line_count,
            "line {} of {}",
            doc.line,
            line_count
        );
        for (path, &(line, column)) in doc.spans() {
            prop_assert!(line >= 1 && line <= line_count, "{path} at line {line}");
            prop_assert!(column >= 1, "{path} at column {column}");
            prop_assert_eq!(doc.position(path), (line, column));
        }
        let (line, column) = doc.position("spec.does.not[3].exist");
        prop_assert!(line >= 1 && column >= 1);
    }
    for e in &errors {
        prop_assert!(e.line >= 1 && e.line <= line_count && e.column >= 1, "{e}");
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

fn load_bytes(bytes: &[u8]) -> callboard_io::source::LoadResult {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog-info.yaml");
    std::fs::write(&file, bytes).unwrap();
    let result = load_local("prop", &[PathBuf::from(dir.path())], &LocalOptions::new());
    for p in &result.problems {
        assert!(p.line.is_none_or(|l| l >= 1), "{p}");
        assert!(p.column.is_none_or(|c| c >= 1), "{p}");
    }
    result
}

/// Every character unchanged by lower-casing.
fn is_lower(s: &str) -> bool {
    s.chars().all(|c| c.to_lowercase().eq(std::iter::once(c)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn yaml_never_panics_on_any_string(text in any::<String>()) {
        check_documents(&text)?;
    }

    #[test]
    fn yaml_never_panics_on_yamlish_text(text in yamlish()) {
        check_documents(&text)?;
    }

    #[test]
    fn loader_never_panics_on_byte_soup(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        load_bytes(&bytes);
    }

    #[test]
    fn loader_never_panics_on_yamlish_files(text in yamlish()) {
        let with_header = format!("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: g\n{text}");
        load_bytes(with_header.as_bytes());
        load_bytes(text.as_bytes());
    }

    #[test]
    fn generated_entities_load_with_their_refs(
        names in prop::collection::vec("[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", 1..6),
        namespace in prop::option::of("[a-z0-9]{1,10}"),
    ) {
        let mut text = String::new();
        for name in &names {
            text.push_str("---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n");
            text.push_str(&format!("  name: '{name}'\n"));
            if let Some(ns) = &namespace {
                text.push_str(&format!("  namespace: '{ns}'\n"));
            }
            text.push_str("spec:\n  memberOf: [some-group]\n");
        }
        let result = load_bytes(text.as_bytes());
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(result.entities.len(), unique.len());
        prop_assert_eq!(result.problems.len(), names.len() - unique.len());
        let ns = namespace.as_deref().unwrap_or("default");
        for e in &result.entities {
            prop_assert_eq!(e.entity.ref_key(), format!("user:{ns}/{}", e.entity.name()));
            let member_of = e.entity.relations().iter().map(|r| r.target_ref.clone()).collect::<Vec<_>>();
            prop_assert_eq!(member_of, vec![format!("group:{ns}/some-group")]);
        }
    }

    #[test]
    fn split_ref_reassembles_its_input(input in any::<String>()) {
        if let Ok(parts) = split_ref(&input) {
            prop_assert!(!parts.name.is_empty());
            let mut again = String::new();
            if let Some(kind) = parts.kind {
                prop_assert!(!kind.is_empty() && !kind.contains(['/', ':']));
                again.push_str(kind);
                again.push(':');
            }
            if let Some(ns) = parts.namespace {
                prop_assert!(!ns.is_empty() && !ns.contains('/'));
                again.push_str(ns);
                again.push('/');
            }
            again.push_str(parts.name);
            prop_assert_eq!(again, input);
        }
    }

    #[test]
    fn canonical_refs_are_lower_case_and_reparse_equal(
        input in prop_oneof![any::<String>(), "([a-zA-Z]{1,6}:)?([a-zA-Z0-9-]{1,6}/)?[a-zA-Z0-9:/._-]{1,12}"],
        default_kind in prop::option::of("[A-Za-z]{1,8}"),
        default_namespace in prop::option::of("[a-z0-9-]{1,8}"),
    ) {
        let ctx = RefContext::new(default_kind.as_deref(), default_namespace.as_deref());
        match EntityRef::parse_with(&input, ctx) {
            Ok(r) => {
                let canonical = r.canonical();
                prop_assert!(is_lower(&canonical), "{canonical}");
                let again = EntityRef::parse(&canonical);
                prop_assert!(again.is_ok(), "{canonical}: {again:?}");
                let again = again.unwrap();
                prop_assert_eq!(again.canonical(), canonical.clone());
                prop_assert_eq!(&again, &r, "{} re-parsed from {}", input, canonical);
            }
            Err(_) => {
                // Only an empty part or a missing kind without a default.
                prop_assert!(split_ref(&input).is_err() || default_kind.is_none());
            }
        }
    }
}

/// `str::to_lowercase` applies the Greek final-sigma rule while
/// `canonical()` (and `Hash`) lower-case per character; equality must agree
/// with the canonical form, or `AΣ` and `Aς` would compare equal but hash
/// differently.
#[test]
fn eq_agrees_with_canonical_for_final_sigma() {
    let upper = EntityRef::parse("component:default/AΣ").unwrap();
    let final_sigma = EntityRef::parse("component:default/Aς").unwrap();
    assert_eq!(
        upper == final_sigma,
        upper.canonical() == final_sigma.canonical()
    );
    assert_eq!(EntityRef::parse(&upper.canonical()).unwrap(), upper);
}
