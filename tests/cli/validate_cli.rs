//! `callboard validate`: kinds Backstage would not load are errors (with
//! the close spelling), and every warning points at the field that causes
//! it, not at the document's first line.

use super::cli::{stderr, stdout, Env};

const TYPO: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Componnet
metadata:
  name: typo
spec:
  type: service
  lifecycle: production
  owner: team-a
";

const GOOD: &str = "\
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: svc
  description: a service
spec:
  type: service
  lifecycle: production
  owner: team-b
  system: shop
  dependsOn:
    - resource:db
    - component:svc-two
  providesApis: [svc-api]
";

#[test]
fn an_unknown_kind_is_an_error_with_a_guess() {
    let env = Env::new();
    let file = env.path("typo.yaml");
    std::fs::write(&file, TYPO).unwrap();
    let out = env.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "{}:2:7: error: unknown kind 'Componnet', did you mean Component?",
            file.display()
        )),
        "{text}"
    );
    assert!(
        stderr(&out).contains("0 entities: 1 error"),
        "{}",
        stderr(&out)
    );

    // A kind nothing resembles is refused too; a kind in rules.allow is not.
    std::fs::write(&file, TYPO.replace("Componnet", "Widget")).unwrap();
    let out = env.run(&["validate", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("unknown kind 'Widget'"),
        "{}",
        stdout(&out)
    );
    let config = env.path("config.yaml");
    std::fs::write(&config, "rules:\n  allow: [Widget, Group]\n").unwrap();
    let out = env.run(&[
        "--config",
        config.to_str().unwrap(),
        "validate",
        file.to_str().unwrap(),
    ]);
    assert!(!stdout(&out).contains("unknown kind"), "{}", stdout(&out));

    // With rules, a kind they refuse gets the close spelling from them.
    std::fs::write(&file, TYPO.replace("Componnet", "Widgte")).unwrap();
    let out = env.run(&[
        "--config",
        config.to_str().unwrap(),
        "validate",
        file.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).contains("(did you mean Widget?)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn warnings_point_at_the_offending_field() {
    let env = Env::new();
    let file = env.path("catalog-info.yaml");
    std::fs::write(&file, GOOD).unwrap();
    let out = env.run(&["validate", file.to_str().unwrap()]);
    let text = stdout(&out);
    let at = |line: u32, column: u32, what: &str| {
        let prefix = format!("{}:{line}:{column}: warning: ", file.display());
        assert!(
            text.lines()
                .any(|l| l.starts_with(&prefix) && l.contains(what)),
            "expected {what} at {line}:{column}:\n{text}"
        );
    };
    at(17, 10, "has no resolvable owner: group:default/team-b");
    at(18, 11, "partOf system:default/shop");
    at(20, 7, "dependsOn resource:default/db");
    at(21, 7, "dependsOn component:default/svc-two");
    at(22, 18, "providesApi api:default/svc-api");
    // Nothing is reported at the document's first line any more.
    assert!(!text.contains(&format!("{}:9:", file.display())), "{text}");
    assert!(stderr(&out).contains("5 warnings"), "{}", stderr(&out));
}
