//! Group and user pages answer the on-call question by themselves (80x24,
//! the demo catalog): a group's profile, parent, children, members with
//! emails and what it owns; a user's name, email and groups; only the
//! panes that apply; relations with the names of their targets.

use callboard_tui::app::{OVERVIEW, OWNER, RELATIONS};
use callboard_tui::testing::Harness;

fn snap(h: &mut Harness, name: &str) -> String {
    let (w, hgt) = h.app.size;
    let screen = h.render();
    insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), screen);
    screen
}

fn opened(key: &str) -> Harness {
    let mut h = Harness::demo((80, 24));
    h.press(&format!("<esc>:open {key}<enter>"));
    let top = h.app.top().map(|v| v.key.clone());
    assert_eq!(top.as_deref(), Some(key), "{}", h.render());
    h
}

fn pane(h: &Harness) -> usize {
    h.app.top().unwrap().pane
}

#[test]
fn a_group_page_shows_profile_members_and_ownership() {
    let mut h = opened("group:default/team-payments");
    let overview = snap(&mut h, "group_overview");
    for needle in [
        " 1 Overview │ 2 Members │ 3 Relations",
        "Payments Team",
        "team-payments@northwind.example",
        "Parent       Engineering (group:engineering)",
        "Members      Sofia Marquez, Tomasz Wilk",
        "Owns         3 entities: 1 component, 1 API, 1 system",
    ] {
        assert!(overview.contains(needle), "{needle:?} missing:\n{overview}");
    }
    for absent in ["Dependencies", "4 Deps", "5 API", "6 Docs", "no owner"] {
        assert!(!overview.contains(absent), "{absent:?} shown:\n{overview}");
    }

    h.press("2");
    let members = snap(&mut h, "group_members");
    for needle in [
        "Members (2)",
        "Sofia Marquez",
        "sofia.marquez@northwind.example",
        "tomasz.wilk@northwind.example",
        "Owns 3 entities: 1 component, 1 API, 1 system",
        "component  payments-service",
        "Payments service",
    ] {
        assert!(members.contains(needle), "{needle:?} missing:\n{members}");
    }
    assert!(!members.contains("has no owner"), "{members}");

    h.press("3");
    let relations = snap(&mut h, "group_relations");
    assert!(
        relations.contains("group:engineering  Engineering"),
        "{relations}"
    );
    assert!(
        relations.contains("component:payments-service  Payments service"),
        "{relations}"
    );

    // The panes that cannot apply are not there: keys and Tab skip them.
    h.press("4");
    assert_eq!(pane(&h), RELATIONS);
    let msg = h.app.message.clone().unwrap().text;
    assert!(msg.contains("no Dependencies pane"), "{msg}");
    h.press("6");
    assert_eq!(pane(&h), RELATIONS);
    h.press("<tab>");
    assert_eq!(pane(&h), OVERVIEW);
    h.press("<s-tab>");
    assert_eq!(pane(&h), RELATIONS);

    // What it owns opens from the Members pane.
    h.press("2");
    assert_eq!(pane(&h), OWNER);
    let lines = h.app.current_lines();
    let row = lines
        .iter()
        .position(|l| {
            l.line
                .spans
                .iter()
                .any(|s| s.content.contains("payments-service"))
        })
        .unwrap();
    let cursor = lines.iter().position(|l| l.target.is_some()).unwrap();
    // The cursor steps from one line that can be acted on to the next.
    let steps = lines[cursor + 1..=row]
        .iter()
        .filter(|l| l.target.is_some())
        .count();
    for _ in 0..steps {
        h.press("j");
    }
    h.press("<enter>");
    assert_eq!(
        h.app.top().map(|v| v.key.as_str()),
        Some("component:default/payments-service")
    );
}

#[test]
fn a_user_page_shows_name_email_and_groups() {
    let mut h = opened("user:default/tomasz.wilk");
    let overview = snap(&mut h, "user_overview");
    for needle in [
        " 1 Overview │ 2 Groups │ 3 Relations",
        " Tomasz Wilk  user:default/tomasz.wilk",
        "Tomasz Wilk",
        "tomasz.wilk@northwind.example",
        "Member of    Payments Team (group:team-payments)",
        "Owns         1 entity: 1 component",
    ] {
        assert!(overview.contains(needle), "{needle:?} missing:\n{overview}");
    }
    h.press("2");
    let groups = snap(&mut h, "user_groups");
    for needle in [
        "Member of (1)",
        "Payments Team",
        "team-payments@northwind.example",
        "component  fraud-check",
    ] {
        assert!(groups.contains(needle), "{needle:?} missing:\n{groups}");
    }
    assert!(!groups.contains("has no owner"), "{groups}");
}
