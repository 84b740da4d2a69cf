//! Groups and users answer the on-call question by themselves: `show` and
//! `show --json` give a group's profile (display name, email, parent,
//! children), its members with names and emails and what it owns, counted
//! by kind and listed; a user's display name, email and groups; relations
//! with the names of their targets.

use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_callboard"))
        .args(args)
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_CACHE_HOME", dir.path().join("cache"))
        .env("HOME", dir.path())
        .env_remove("CALLBOARD_CONFIG")
        .env_remove("CALLBOARD_CACHE_DIR")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&text(args)).unwrap()
}

#[test]
fn show_a_group_gives_its_profile_members_and_what_it_owns() {
    let out = text(&["show", "group:team-payments"]);
    for expected in [
        "PROFILE     Payments Team <team-payments@northwind.example>",
        "  parent    group:default/engineering  Engineering <engineering@northwind.example>",
        "MEMBERS     Sofia Marquez <sofia.marquez@northwind.example>",
        "            Tomasz Wilk <tomasz.wilk@northwind.example>",
        "OWNS        3 entities: 1 component, 1 API, 1 system",
        "            component:default/payments-service  Payments service",
        "            api:default/payments-api  Payments API",
        "            system:default/payments  Payments",
        "  childOf    group:default/engineering  Engineering",
        "  hasMember  user:default/sofia.marquez  Sofia Marquez",
    ] {
        assert!(out.contains(expected), "{expected:?} in\n{out}");
    }
    // A group has no owner field: nothing says "none declared".
    assert!(!out.contains("OWNER"), "{out}");

    let v = json(&["show", "--json", "group:team-payments"]);
    let p = &v["profile"];
    assert_eq!(p["display_name"], "Payments Team");
    assert_eq!(p["email"], "team-payments@northwind.example");
    assert_eq!(p["parent"]["entity_ref"], "group:default/engineering");
    assert_eq!(p["parent"]["title"], "Engineering");
    assert_eq!(p["children"], serde_json::json!([]));
    let members: Vec<(&str, &str)> = p["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["display_name"].as_str().unwrap(),
                m["email"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        members,
        [
            ("Sofia Marquez", "sofia.marquez@northwind.example"),
            ("Tomasz Wilk", "tomasz.wilk@northwind.example")
        ]
    );
    assert_eq!(v["owns"]["total"], 3);
    assert_eq!(
        v["owns"]["by_kind"],
        serde_json::json!([
            {"kind": "component", "count": 1},
            {"kind": "api", "count": 1},
            {"kind": "system", "count": 1}
        ])
    );
    assert_eq!(
        v["owns"]["entities"][0]["entity_ref"],
        "component:default/payments-service"
    );
    assert_eq!(v["owns"]["entities"][0]["title"], "Payments service");
    let child_of = v["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == "childOf")
        .unwrap();
    assert_eq!(child_of["title"], "Engineering");

    // A parent group lists its children by name.
    let v = json(&["show", "--json", "group:engineering"]);
    let children: Vec<&str> = v["profile"]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(children.contains(&"Payments Team"), "{children:?}");
    assert_eq!(
        v["owns"]["by_kind"],
        serde_json::json!([{"kind": "domain", "count": 1}])
    );
}

#[test]
fn show_a_user_gives_name_email_groups_and_what_they_own() {
    let out = text(&["show", "user:tomasz.wilk"]);
    for expected in [
        "PROFILE     Tomasz Wilk <tomasz.wilk@northwind.example>",
        "MEMBER OF   group:default/team-payments  Payments Team <team-payments@northwind.example>",
        "OWNS        1 entity: 1 component",
        "            component:default/fraud-check  Fraud check",
    ] {
        assert!(out.contains(expected), "{expected:?} in\n{out}");
    }
    assert!(!out.contains("OWNER"), "{out}");
    let v = json(&["show", "--json", "user:sofia.marquez"]);
    assert_eq!(v["profile"]["display_name"], "Sofia Marquez");
    assert_eq!(v["profile"]["email"], "sofia.marquez@northwind.example");
    assert_eq!(
        v["profile"]["member_of"][0]["entity_ref"],
        "group:default/team-payments"
    );
    assert_eq!(v["profile"]["member_of"][0]["title"], "Payments Team");
    assert_eq!(v["owns"]["total"], 0);
    // Other kinds keep their shape: no profile, no ownership.
    let v = json(&["show", "--json", "component:payments-service"]);
    assert!(v.get("profile").is_none() && v.get("owns").is_none(), "{v}");
}
