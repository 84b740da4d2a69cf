//! What goes where: answers on stdout, footers and notes on stderr (so
//! `| wc -l` counts answers), refs that do not resolve explained (typos,
//! unknown kinds, ambiguous names), `--help` saying what a REF is.

use super::cli::{repo, stderr, stdout, Env};

#[test]
fn search_prints_only_rows_on_stdout_and_the_count_on_stderr() {
    let env = Env::new();
    let out = env.run(&["search", "kind:api"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 5, "one line a hit:\n{text}");
    assert!(text.lines().all(|l| l.starts_with("api:")), "{text}");
    assert!(stderr(&out).contains("5 / 46 shown"), "{}", stderr(&out));
}

#[test]
fn template_list_prints_only_templates_on_stdout() {
    let env = Env::new();
    let out = env.run(&["template", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().all(|l| l.starts_with("new-service")), "{text}");
    assert!(stderr(&out).contains("1 template"), "{}", stderr(&out));
}

#[test]
fn validate_and_deps_put_their_summary_on_stderr() {
    let env = Env::new();
    let demo = repo("assets/demo/catalog-info.yaml");
    let out = env.run(&["validate", demo.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "no problems, nothing on stdout");
    assert!(
        stderr(&out).contains("0 errors, 0 warnings"),
        "{}",
        stderr(&out)
    );

    let out = env.run(&["deps", "postgres-main", "--reverse"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("blast radius"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("dependents (blast radius)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_ambiguous_name_lists_its_candidates_on_stderr() {
    let env = Env::new();
    let out = env.run(&["show", "booking-api"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "", "nothing on stdout");
    let err = stderr(&out);
    assert!(err.contains("names several entities"), "{err}");
    assert!(err.contains("api:default/booking-api"), "{err}");
    assert!(err.contains("component:default/booking-api"), "{err}");
}

#[test]
fn a_typo_in_a_ref_suggests_the_close_match() {
    let env = Env::new();
    let out = env.run(&["show", "paymnts-service"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("did you mean payments-service?"), "{err}");

    let out = env.run(&["deps", "component:paymnts-servce"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("did you mean component:payments-service?"),
        "{err}"
    );

    let out = env.run(&["show", "paymnts-service", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"], "not found");
    assert_eq!(v["did_you_mean"], "payments-service", "{v}");

    // Nothing close: no guess.
    let out = env.run(&["show", "zzzzzzzz"]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

#[test]
fn an_unknown_kind_in_a_ref_says_so() {
    let env = Env::new();
    let out = env.run(&["show", "componnet:payments-service"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("unknown kind 'componnet'"), "{err}");
    assert!(
        err.contains("did you mean component:payments-service?"),
        "{err}"
    );

    let out = env.run(&["show", "widget:payments-service"]);
    let err = stderr(&out);
    assert!(err.contains("unknown kind 'widget'"), "{err}");
    assert!(err.contains("Component"), "lists the kinds: {err}");
}

#[test]
fn help_describes_the_ref_syntax() {
    let env = Env::new();
    for cmd in ["show", "deps", "docs"] {
        let out = env.run(&[cmd, "--help"]);
        assert!(out.status.success());
        let text = stdout(&out);
        assert!(text.contains("[kind:][namespace/]name"), "{cmd}:\n{text}");
    }
}

#[test]
fn validate_of_a_missing_path_cannot_run() {
    let env = Env::new();
    let missing = env.path("does/not/exist");
    let out = env.run(&["validate", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("does/not/exist"), "{}", stderr(&out));
}
