//! Large generated catalog files (LDAP or GitHub org exports) load: the
//! default limit is far above real files, and the config can move it.

use super::cli::{stderr, stdout, Env};

const GROUP: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: big-org\nspec:\n  type: organization\n  children: []\n";

/// A valid one-entity file of at least `bytes` (the rest YAML comments,
/// which the parser still has to read through).
fn padded(bytes: usize) -> String {
    let mut text = String::with_capacity(bytes + 200);
    text.push_str(GROUP);
    let line = format!("# {}\n", "x".repeat(1000));
    while text.len() < bytes {
        text.push_str(&line);
    }
    text
}

#[test]
fn a_file_over_ten_megabytes_loads_by_default() {
    let env = Env::new();
    let file = env.path("org.yaml");
    std::fs::write(&file, padded(12 * 1024 * 1024)).unwrap();
    let src = file.to_str().unwrap();
    let out = env.run(&["--source", src, "sync"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!stderr(&out).contains("limit"), "{}", stderr(&out));
    let out = env.run(&["--source", src, "show", "big-org"]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = env.run(&["validate", src]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn the_limit_is_configurable_and_named_when_hit() {
    let env = Env::new();
    let file = env.path("org.yaml");
    std::fs::write(&file, padded(3 * 1024 * 1024)).unwrap();
    let config = env.path("config.yaml");
    std::fs::write(
        &config,
        format!(
            "sources:\n  - name: org\n    path: {}\nmax_file_mb: 2\n",
            file.display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let out = env.run(&["--config", config, "sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("over the 2.0 MB limit"), "{err}");
    assert!(err.contains("max_file_mb"), "says how to raise it: {err}");

    let out = env.run(&["--config", config, "validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("max_file_mb"), "{}", stdout(&out));

    // Raised, it loads.
    std::fs::write(
        env.path("config.yaml"),
        format!(
            "sources:\n  - name: org\n    path: {}\nmax_file_mb: 4\n",
            file.display()
        ),
    )
    .unwrap();
    let out = env.run(&["--config", config, "sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
}
