//! Options anywhere on the command line, `--` ending them: what a script
//! author types (`search pay -n 5`, `search pay --json`) must mean the
//! options, not a longer query.

use super::cli::{stderr, stdout, Env};

const ONE: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: only-here\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n";

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\n{}",
            stdout(out),
            stderr(out)
        )
    })
}

#[test]
fn options_after_the_query_are_options() {
    let env = Env::new();
    let out = env.run(&["search", "booking", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v = json(&out);
    assert_eq!(v["query"], "booking", "{v}");

    let out = env.run(&["search", "booking", "-n", "2", "--json"]);
    let v = json(&out);
    assert_eq!(v["query"], "booking", "{v}");
    assert_eq!(v["hits"].as_array().unwrap().len(), 2, "{v}");

    let out = env.run(&["search", "booking", "--limit", "1", "--json"]);
    assert_eq!(json(&out)["hits"].as_array().unwrap().len(), 1);

    // Options between words of the query: the words still join.
    let out = env.run(&["search", "kind:api", "--json", "booking"]);
    let v = json(&out);
    assert_eq!(v["query"], "kind:api booking", "{v}");
}

#[test]
fn a_global_option_after_the_query_picks_the_source() {
    let env = Env::new();
    let file = env.path("one.yaml");
    std::fs::write(&file, ONE).unwrap();
    let out = env.run(&[
        "search",
        "only",
        "--source",
        file.to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let v = json(&out);
    assert_eq!(v["query"], "only");
    assert_eq!(v["total"], 1, "only the given source is searched: {v}");
    assert_eq!(v["hits"][0]["ref"], "component:default/only-here");
}

#[test]
fn double_dash_ends_the_options() {
    let env = Env::new();
    let out = env.run(&["search", "--json", "--", "-n", "--json"]);
    let v = json(&out);
    assert_eq!(v["query"], "-n --json", "{v}");

    // Without `--`, an unknown option is an error (exit 2), not query text.
    let out = env.run(&["search", "pay", "--no-such-option"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--no-such-option"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn options_after_a_ref_are_options_too() {
    let env = Env::new();
    let out = env.run(&["show", "payments-service", "--json"]);
    assert_eq!(
        json(&out)["entity_ref"],
        "component:default/payments-service"
    );
    let out = env.run(&["deps", "booking-api", "--json", "-d", "1"]);
    // booking-api is ambiguous: the answer is still JSON.
    json(&out);
    let out = env.run(&["deps", "component:booking-api", "-d", "1", "--json"]);
    assert_eq!(json(&out)["tree"]["root"], "component:default/booking-api");
}
