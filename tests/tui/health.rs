//! The health views of the entity screen: plugin surfaces in the Overview
//! (`o`/`y` on them), the Health section, the Impact view of the
//! Dependencies pane; drawn at 80x24 and 120x40 (insta snapshots).

use callboard_tui::app::{DEPENDENCIES, OVERVIEW};
use callboard_tui::screens::entity::panes::Target;
use callboard_tui::testing::{fixture, Harness};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(h: &mut Harness, name: &str) -> String {
    let (w, hgt) = h.app.size;
    let screen = h.render();
    insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), screen);
    screen
}

fn open(h: &mut Harness, query: &str) {
    h.press(&format!("{query}<enter>"));
    assert!(
        !h.app.stack.is_empty(),
        "{query} did not open:\n{}",
        h.render()
    );
}

/// Put the cursor of the current pane on the first line `pick` accepts.
fn cursor_to(h: &mut Harness, pane: usize, pick: impl Fn(&Target) -> bool) {
    let lines = h.app.current_lines();
    let at = lines
        .iter()
        .position(|l| l.target.as_ref().is_some_and(&pick))
        .expect("a line with that target");
    h.app.stack.last_mut().unwrap().cursor[pane] = Some(at);
}

#[test]
fn overview_surfaces_open_and_copy() {
    for size in SIZES {
        let mut h = Harness::with_entities(fixture(), size);
        h.app.settings.surfaces.pagerduty = Some("example".into());
        open(&mut h, "payments-service");
        cursor_to(
            &mut h,
            OVERVIEW,
            |t| matches!(t, Target::Link { url, .. } if url.contains("pagerduty")),
        );
        let screen = snap(&mut h, "overview_surfaces");
        assert!(screen.contains("PagerDuty service:"), "{screen}");
        let text: Vec<String> = h
            .app
            .current_lines()
            .iter()
            .map(|l| l.line.to_string())
            .collect();
        assert!(
            text.join(" ")
                .contains("https://example.pagerduty.com/service-directory/PSVC001"),
            "{text:?}"
        );
        h.press("o");
        assert_eq!(
            h.opened,
            ["https://example.pagerduty.com/service-directory/PSVC001"]
        );
        cursor_to(
            &mut h,
            OVERVIEW,
            |t| matches!(t, Target::Link { url, .. } if url.ends_with("/actions")),
        );
        h.press("y");
        assert_eq!(
            h.copied.last().map(|c| c.1.as_str()),
            Some("https://github.com/example/payments/actions")
        );
    }
}

#[test]
fn overview_health_section_shows_the_level_and_next_steps() {
    for size in SIZES {
        let mut h = Harness::with_entities(fixture(), size);
        open(&mut h, "payments-service");
        cursor_to(
            &mut h,
            OVERVIEW,
            |t| matches!(t, Target::Value(v) if v.contains("techdocs-ref")),
        );
        let screen = snap(&mut h, "overview_health");
        assert!(
            screen.contains("Health       Bronze · 10/12 checks · 2 steps to Silver"),
            "{screen}"
        );
        let text: Vec<String> = h
            .app
            .current_lines()
            .iter()
            .map(|l| l.line.to_string())
            .collect();
        assert!(
            text.iter()
                .any(|l| l.contains("✗ no-dangling: missing: component:default/ghost")),
            "{text:?}"
        );
        h.press("y");
        assert!(
            h.copied
                .last()
                .unwrap()
                .1
                .starts_with("add the annotation backstage.io/techdocs-ref"),
            "{:?}",
            h.copied
        );

        // Owned by a user: below Bronze, and says why.
        h.press("<esc><esc>");
        let mut h = Harness::with_entities(fixture(), size);
        open(&mut h, "no-runbook");
        let lines: Vec<String> = h
            .app
            .current_lines()
            .iter()
            .map(|l| l.line.to_string())
            .collect();
        let text = lines.join("\n");
        assert!(text.contains("Health       no level"), "{text}");
        assert!(
            text.contains("✗ owner-is-group: the owner user:default/bo is a User"),
            "{text}"
        );
    }
}

#[test]
fn dependencies_pane_impact_view_pages_the_teams() {
    for size in SIZES {
        let mut h = Harness::demo(size);
        open(&mut h, "postgres-main");
        h.press("4");
        cursor_to(
            &mut h,
            DEPENDENCIES,
            |t| matches!(t, Target::Entity { key, .. } if key == "group:default/team-booking"),
        );
        let screen = snap(&mut h, "dependencies_impact");
        assert!(
            screen.contains("Booking Team (group:team-booking)"),
            "{screen}"
        );
        let text: Vec<String> = h
            .app
            .current_lines()
            .iter()
            .map(|l| l.line.to_string())
            .collect();
        let all = text.join("\n");
        assert!(
            all.contains("Impact — who to page: 4 teams, 10 in production"),
            "{all}"
        );
        assert!(all.contains("7 entities, 6 in production"), "{all}");
        assert!(all.contains("● component:booking-api  1 hop"), "{all}");
        cursor_to(
            &mut h,
            DEPENDENCIES,
            |t| matches!(t, Target::Value(v) if v.contains(" ; ")),
        );
        h.press("y");
        let copied = &h.copied.last().unwrap().1;
        assert!(
            copied.starts_with("group:default/team-booking  pagerduty.com/service-id=PBK7Q2N")
                && copied.contains(" ; group:default/team-mobile"),
            "{copied}"
        );
    }
}
