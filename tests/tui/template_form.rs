//! Software templates in the TUI, drawn into `TestBackend` (80x24, and
//! 120x40 for the main screens) and compared with insta snapshots: the
//! list, form navigation, validation messages, conditional fields,
//! pickers, masked secrets, drafts, review and a local run.

use callboard_tui::screens::templates::TemplateScreen;
use callboard_tui::testing::{fixture, Harness};
use serde_json::{json, Value};

const SECRET: &str = "s3cr3t-t0ken-value";
const PASSWORD: &str = "hunter2-password";

fn snap(h: &mut Harness, name: &str) -> String {
    let (w, hgt) = h.app.size;
    let screen = h.render();
    insta::assert_snapshot!(format!("{name}_{w}x{hgt}"), screen);
    screen
}

/// A template exercising conditionals, pickers and secrets, over the
/// shared fixture catalog.
fn kitchen_template() -> Value {
    json!({
        "apiVersion": "scaffolder.backstage.io/v1beta3",
        "kind": "Template",
        "metadata": {
            "name": "kitchen",
            "title": "Kitchen \u{1b}[31msink",
            "description": "Every kind of field",
            "tags": ["test", "forms"]
        },
        "spec": {
            "owner": "group:default/team-a",
            "type": "service",
            "parameters": [
                {
                    "title": "Basics",
                    "required": ["name", "kind"],
                    "properties": {
                        "name": {"title": "Name", "type": "string", "ui:field": "EntityNamePicker", "ui:autofocus": true},
                        "kind": {"title": "Kind", "type": "string", "enum": ["web", "worker"], "enumNames": ["Web app", "Background worker"]},
                        "useDb": {"title": "Database", "type": "boolean", "default": false}
                    },
                    "dependencies": {
                        "useDb": {"oneOf": [
                            {"properties": {"useDb": {"const": false}}},
                            {"properties": {
                                "useDb": {"const": true},
                                "dbEngine": {"title": "Engine", "type": "string", "enum": ["postgres", "mysql"], "ui:widget": "radio", "default": "postgres"}
                            }, "required": ["dbEngine"]}
                        ]}
                    },
                    "if": {"properties": {"kind": {"const": "web"}}, "required": ["kind"]},
                    "then": {"properties": {"port": {"title": "Port", "type": "integer", "minimum": 1024, "maximum": 65535, "default": 8080}}},
                    "else": {"properties": {"queue": {"title": "Queue", "type": "string"}}}
                },
                {
                    "title": "Catalog",
                    "required": ["owner"],
                    "properties": {
                        "owner": {"title": "Owner", "type": "string", "ui:field": "OwnerPicker", "ui:options": {"catalogFilter": {"kind": "Group"}}},
                        "uses": {"title": "Uses", "type": "array", "ui:field": "MultiEntityPicker", "ui:options": {"catalogFilter": [{"kind": "Component"}, {"kind": "API"}]}},
                        "system": {"title": "System", "type": "string", "ui:field": "EntityPicker", "ui:options": {"allowedKinds": ["System"]}},
                        "repoUrl": {"title": "Repository", "type": "string", "ui:field": "RepoUrlPicker", "ui:options": {"allowedHosts": ["github.com", "gitlab.com"], "allowedOwners": ["acme", "globex"]}},
                        "langs": {"title": "Languages", "type": "array", "uniqueItems": true, "items": {"type": "string", "enum": ["go", "rust", "java"]}, "ui:widget": "checkboxes"},
                        "fancy": {"title": "Fancy", "type": "string", "ui:field": "SomeCustomField"},
                        "labels": {"title": "Labels", "type": "array", "ui:field": "EntityTagsPicker", "ui:options": {"kinds": ["Component"], "showCounts": true}}
                    }
                },
                {
                    "title": "Secrets",
                    "properties": {
                        "token": {"title": "Token", "type": "string", "ui:field": "Secret"},
                        "password": {"title": "Password", "type": "string", "ui:widget": "password"},
                        "notes": {"title": "Notes", "type": "string", "ui:widget": "textarea", "ui:backstage": {"review": {"show": false}}}
                    }
                }
            ],
            "steps": [{"id": "log", "action": "debug:log", "input": {"message": "hi ${{ parameters.name }}"}}]
        }
    })
}

fn kitchen(size: (u16, u16)) -> Harness {
    let mut docs = fixture();
    docs.push(kitchen_template());
    let mut h = Harness::with_entities(docs, size);
    h.press("<esc>t<enter>");
    assert!(
        matches!(h.app.templates, Some(TemplateScreen::Form(..))),
        "{}",
        h.render()
    );
    h
}

fn form_values(h: &Harness) -> serde_json::Map<String, Value> {
    match &h.app.templates {
        Some(TemplateScreen::Form(screen, _)) => screen.form.values.clone(),
        _ => panic!("not on the form"),
    }
}

fn drafts_dir(h: &Harness) -> std::path::PathBuf {
    h.dir.path().join("cache").join("drafts")
}

#[test]
fn template_list_shows_title_description_tags_owner() {
    for size in [(80, 24), (120, 40)] {
        let mut h = Harness::demo(size);
        h.press("<esc>t");
        let screen = snap(&mut h, "template_list");
        assert!(screen.contains("New Northwind service"), "{screen}");
        assert!(screen.contains("owner group:team-platform"), "{screen}");
        assert!(screen.contains("recommended"), "{screen}");
        assert!(screen.contains("Create a catalog entry"), "{screen}");
        // Typing filters; Esc leaves.
        h.press("zzzz");
        assert!(h.render().contains("no template matches"));
        h.press("<esc>");
        assert!(h.app.templates.is_none());
    }
}

#[test]
fn command_and_enter_on_a_template_entity_open_it() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>:templates<enter>");
    assert!(matches!(h.app.templates, Some(TemplateScreen::List(_))));
    h.press("<esc>");
    // Enter on the Template entity in the catalog opens its form.
    h.press("/new northwind<enter>");
    assert!(
        matches!(h.app.templates, Some(TemplateScreen::Form(..))),
        "{}",
        h.render()
    );
}

#[test]
fn form_navigation_validation_and_review() {
    for size in [(80, 24), (120, 40)] {
        let mut h = Harness::demo(size);
        h.press("<esc>t<enter>");
        let screen = snap(&mut h, "form_first_step");
        assert!(screen.contains("▸Name *"), "autofocus on name: {screen}");
        assert!(
            screen.contains("group:default/team-platform"),
            "defaults: {screen}"
        );

        h.press("Bad Name");
        let screen = snap(&mut h, "form_invalid_name");
        assert!(screen.contains("✗ Must match"), "{screen}");

        // Next is refused while the page has problems.
        h.key("ctrl-n");
        let screen = h.render();
        assert!(screen.contains("step 1/3"), "{screen}");
        assert!(screen.contains("1 problem to fix"), "{screen}");

        h.press("<ctrl-u>seat-map<ctrl-n>");
        let screen = snap(&mut h, "form_second_step");
        assert!(screen.contains("step 2/3"), "{screen}");
        assert!(
            screen.contains("Experimental (no on-call)"),
            "enumNames: {screen}"
        );

        // Change a choice, go back: the first page kept its values.
        h.press("<right>");
        h.key("ctrl-p");
        assert!(h.render().contains("seat-map"));
        h.press("<ctrl-n><ctrl-n>");
        let screen = snap(&mut h, "form_review");
        assert!(screen.contains("Production (on-call required)"), "{screen}");
        assert!(screen.contains("seat-map"), "{screen}");
        assert!(screen.contains("l run locally"), "{screen}");
    }
}

#[test]
fn conditional_fields_come_and_go_with_the_values() {
    let mut h = kitchen((80, 24));
    let screen = snap(&mut h, "form_conditional_before");
    assert!(!screen.contains("Engine"), "{screen}");
    // No kind yet: the `if` fails, so the `else` branch shows.
    assert!(
        !screen.contains("Port") && screen.contains("Queue"),
        "{screen}"
    );

    // kind = web (if/then) and useDb = true (dependencies oneOf).
    h.press("svc<down><right><down><space>");
    let screen = snap(&mut h, "form_conditional_after");
    assert!(screen.contains("Port"), "{screen}");
    assert!(screen.contains("8080"), "then-branch default: {screen}");
    assert!(
        screen.contains("(•) postgres"),
        "oneOf branch + default: {screen}"
    );
    let values = form_values(&h);
    assert_eq!(values["kind"], json!("web"));
    assert_eq!(values["dbEngine"], json!("postgres"));

    // kind = worker: Port goes, Queue comes; useDb off: Engine goes.
    h.press("<up><right><down><space>");
    let screen = h.render();
    assert!(
        screen.contains("Queue") && !screen.contains("Port"),
        "{screen}"
    );
    assert!(!screen.contains("Engine"), "{screen}");

    // A bad integer is reported next to its field.
    h.press("<up><right><down><space><down><ctrl-u>80");
    let screen = snap(&mut h, "form_conditional_invalid_port");
    assert!(screen.contains("✗ Must be at least 1024"), "{screen}");
    // Template strings are drawn inert.
    assert!(!screen.contains('\u{1b}'));
}

#[test]
fn pickers_search_the_catalog_with_their_filters() {
    let mut h = kitchen((80, 24));
    h.press("svc<down><right><ctrl-n>");
    assert!(h.render().contains("step 2/4"), "{}", h.render());

    // OwnerPicker limited to groups.
    h.press("<enter>");
    let screen = snap(&mut h, "picker_owner");
    assert!(screen.contains("group:default/team-a"), "{screen}");
    assert!(
        !screen.contains("user:default/ann"),
        "catalogFilter kind Group: {screen}"
    );
    h.press("team<enter>");
    assert_eq!(form_values(&h)["owner"], json!("group:default/team-a"));

    // MultiEntityPicker: components and APIs, fuzzy search, several picks.
    h.press("<down><enter>pay");
    let screen = snap(&mut h, "picker_multi");
    assert!(
        screen.contains("component:default/payments-service"),
        "{screen}"
    );
    assert!(screen.contains("api:default/payments-api"), "{screen}");
    assert!(!screen.contains("system:"), "{screen}");
    h.press("<enter><down><enter><esc>");
    let uses = form_values(&h)["uses"].as_array().unwrap().len();
    assert_eq!(uses, 2);

    // EntityPicker with allowedKinds.
    h.press("<down><enter><enter>");
    assert_eq!(form_values(&h)["system"], json!("system:default/payments"));

    // RepoUrlPicker: host from allowedHosts and owner from allowedOwners
    // (←/→ cycle them), then the repo typed.
    h.press("<down><right><right><down><right><down>web");
    assert_eq!(
        form_values(&h)["repoUrl"],
        json!("gitlab.com?owner=acme&repo=web")
    );
    // Checkboxes, then the unknown field falls back to plain input.
    h.press("<down><right><space><down>whatever");
    assert_eq!(form_values(&h)["langs"], json!(["rust"]));
    assert_eq!(form_values(&h)["fancy"], json!("whatever"));
    let screen = snap(&mut h, "picker_fields_filled");
    assert!(screen.contains("(plain input)"), "{screen}");
    assert!(
        screen.contains("SomeCustomField is not supported"),
        "{screen}"
    );
    assert!(screen.contains("‹ gitlab.com ›"), "{screen}");
    // EntityTagsPicker: the tags of components, with counts; escapes inert.
    h.press("<down><enter>");
    let screen = snap(&mut h, "picker_tags");
    assert!(screen.contains("Pick tags"), "{screen}");
    assert!(screen.contains("java  (1)"), "{screen}");
    assert!(
        screen.contains("  tag  (1)"),
        "the escape is stripped: {screen}"
    );
    assert!(!screen.contains('\u{1b}'), "{screen}");
    h.press("pci<enter><esc>");
    assert_eq!(form_values(&h)["labels"], json!(["pci"]));
    h.key("ctrl-n");
    assert!(h.render().contains("step 3/4"), "{}", h.render());
}

#[test]
fn secrets_are_masked_kept_out_of_drafts_and_review() {
    let mut h = kitchen((80, 24));
    h.press("svc<down><right><ctrl-n>");
    h.press("<enter>team<enter><ctrl-n>");
    h.press(SECRET);
    h.press("<down>");
    h.press(PASSWORD);
    h.press("<down>line one<enter>line two");
    let screen = snap(&mut h, "form_secrets");
    assert!(
        !screen.contains(SECRET) && !screen.contains(PASSWORD),
        "{screen}"
    );
    assert!(screen.contains("••••"), "{screen}");
    assert!(screen.contains("line two"), "textarea: {screen}");

    h.key("ctrl-n");
    let screen = snap(&mut h, "form_secrets_review");
    assert!(
        screen.contains("Token") && screen.contains("********"),
        "{screen}"
    );
    assert!(
        !screen.contains(SECRET) && !screen.contains(PASSWORD),
        "{screen}"
    );
    assert!(
        !screen.contains("Notes"),
        "review.show false hides it: {screen}"
    );

    // Nothing printable holds them: the form state, the queued requests.
    assert!(!format!("{:?}", h.app.templates).contains(SECRET));
    // Leave: the draft is saved, without the secrets.
    h.key_no_settle("esc");
    let queued = format!("{:?}", h.app.effects);
    assert!(queued.contains("SaveDraft"), "{queued}");
    assert!(
        !queued.contains(SECRET) && !queued.contains(PASSWORD),
        "{queued}"
    );
    h.settle();
    let mut drafts = std::fs::read_dir(drafts_dir(&h)).unwrap();
    let path = drafts.next().unwrap().unwrap().path();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(saved.contains("\"name\": \"svc\""), "{saved}");
    assert!(
        !saved.contains(SECRET) && !saved.contains(PASSWORD),
        "{saved}"
    );

    // Back again: the draft is offered, and restored without secrets.
    h.press("<esc><esc>t<enter>");
    let screen = snap(&mut h, "form_draft_offered");
    assert!(
        screen.contains("A draft of this form was saved earlier"),
        "{screen}"
    );
    h.press("<enter>");
    let values = form_values(&h);
    assert_eq!(values["name"], json!("svc"));
    assert_eq!(values["owner"], json!("group:default/team-a"));
    assert!(!values.contains_key("token") && !values.contains_key("password"));

    // `n` starts over.
    h.press("<esc><esc>t<enter>n");
    assert!(!form_values(&h).contains_key("name"));
}

#[test]
fn local_run_shows_the_tree_then_writes_it() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>t<enter>seat-map<ctrl-n><ctrl-n>l");
    let screen = snap(&mut h, "local_run_plan");
    // The default target is a new folder named after the entity, never
    // the current directory; the template nesting its own folder is said.
    assert!(screen.contains("into ./seat-map"), "{screen}");
    assert!(screen.contains("writes into seat-map/ itself"), "{screen}");
    assert!(screen.contains("seat-map/"), "{screen}");
    assert!(screen.contains("catalog-info.yaml"), "{screen}");
    h.resize(120, 40);
    let screen = snap(&mut h, "local_run_plan");
    assert!(screen.contains("README.md  (286 B)"), "{screen}");
    h.resize(80, 24);

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("out");
    h.press("<ctrl-u>");
    h.app.handle_paste(&target.display().to_string());
    h.press("<enter>");
    for _ in 0..500 {
        h.settle();
        if let Some(TemplateScreen::Run(r)) = &h.app.templates {
            if r.is_finished() {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let screen = h.render();
    assert!(screen.contains("completed"), "{screen}");
    assert!(
        screen.contains("https://runbooks.northwind.example/seat-map"),
        "{screen}"
    );
    // o opens the output link, y copies it.
    assert!(
        screen.contains("o open link") && screen.contains("y copy link"),
        "{screen}"
    );
    h.press("o");
    assert_eq!(
        h.opened,
        vec!["https://git.northwind.example/northwind-rail/seat-map".to_string()]
    );
    // Tab moves to the next link.
    h.press("<tab>o");
    assert_eq!(h.opened[1], "https://runbooks.northwind.example/seat-map");
    h.press("y");
    assert!(
        h.copied
            .iter()
            .any(|(_, t)| t == "https://runbooks.northwind.example/seat-map"),
        "{:?}",
        h.copied
    );
    let readme = std::fs::read_to_string(target.join("seat-map/README.md")).unwrap();
    assert!(readme.contains("seat-map"), "{readme}");
    assert!(target.join("seat-map/catalog-info.yaml").is_file());
    // A successful run forgets the draft.
    let left = std::fs::read_dir(drafts_dir(&h))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0);
    h.press("<esc>");
    assert!(h.app.templates.is_none());
}

#[test]
fn hidden_pages_are_skipped_and_the_review_warns() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/backstage-examples/scaffolder-sample-templates/conditional-parameters-demo/template.yaml"
    );
    let template: Value = serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut docs = fixture();
    docs.push(template);
    let mut h = Harness::with_entities(docs, (80, 24));
    h.press("<esc>t<enter>");
    let screen = h.render();
    assert!(
        screen.contains("1 Choose Cloud Provider   2 Advanced Options"),
        "{screen}"
    );
    // GCP: its page appears, with its default; AWS and Azure stay hidden.
    h.press("demo<down><right><right><ctrl-n>");
    let screen = snap(&mut h, "form_when_gcp_page");
    assert!(screen.contains("GCP Configuration"), "{screen}");
    assert!(!screen.contains("AWS Configuration"), "{screen}");
    assert!(screen.contains("us-central1"), "{screen}");
    h.press("proj-1<ctrl-n><ctrl-n>");
    let screen = snap(&mut h, "form_when_review");
    assert!(screen.contains("GCP Project ID"), "{screen}");
    assert!(
        screen.contains("awsRegion, azureSubscriptionId"),
        "{screen}"
    );
}

#[test]
fn leaving_a_changed_field_saves_the_draft() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>t<enter>half-done");
    assert!(!drafts_dir(&h).exists(), "nothing saved while typing");
    h.press("<down>");
    let path = std::fs::read_dir(drafts_dir(&h))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let saved = std::fs::read_to_string(path).unwrap();
    assert!(saved.contains("half-done"), "{saved}");
}

/// Every page (and the review) of every fixture template draws at the
/// smallest size the app allows and at the test sizes, without panicking
/// and without a control character reaching the screen.
#[test]
fn every_fixture_template_draws_every_page() {
    use callboard_core::template::schema::parameter_steps;
    use callboard_tui::screens::templates::form::{self, FormState};
    use callboard_tui::theme::Theme;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/backstage-examples"
    ));
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == "template.yaml") {
                files.push(path);
            }
        }
    }
    assert!(files.len() >= 14, "{files:?}");
    let theme = Theme::default_theme();
    for file in &files {
        let doc: Value = serde_norway::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let pages = parameter_steps(doc.pointer("/spec/parameters"));
        let mut state = FormState::new("template:default/x", "X", pages, None);
        let count = state.visible_pages().len();
        for page in 0..=count {
            state.page = page;
            for (w, h) in [(30, 8), (80, 24), (120, 40)] {
                let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
                terminal
                    .draw(|f| form::draw(f, f.area(), &state, &theme, None))
                    .unwrap();
                let buffer = terminal.backend().buffer().clone();
                for cell in buffer.content() {
                    assert!(
                        !cell.symbol().chars().any(char::is_control),
                        "{}: control character on screen",
                        file.display()
                    );
                }
            }
        }
    }
}

/// A page that is only `oneOf: [{title: Lorem, …}, {title: Ipsum, …}]`:
/// the form offers the options, then the chosen one's fields; switching
/// drops the other option's values; review refuses values matching both.
#[test]
fn page_level_one_of_offers_the_options_then_their_fields() {
    use callboard_core::template::schema;
    use callboard_tui::keymap::Key;
    use callboard_tui::screens::templates::form::{self, FormState};
    use callboard_tui::theme::Theme;
    use crossterm::event::{KeyCode, KeyModifiers};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    let pages = vec![json!({"title": "Pick", "oneOf": [
        {"title": "Lorem", "required": ["lorem"], "properties": {"lorem": {"title": "Lorem text", "type": "string"}}},
        {"title": "Ipsum", "required": ["ipsum"], "properties": {"ipsum": {"title": "Ipsum text", "type": "string", "default": "dolor"}}}
    ]})];
    let mut state = FormState::new("template:default/x", "X", pages.clone(), None);
    let theme = Theme::default_theme();
    let draw = |state: &FormState| {
        let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
        terminal
            .draw(|f| form::draw(f, f.area(), state, &theme, None))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        let mut text = String::new();
        for y in 0..24 {
            for x in 0..80 {
                text.push_str(buffer[(x, y)].symbol());
            }
            text.push('\n');
        }
        text
    };
    let screen = draw(&state);
    assert!(
        screen.contains("Option") && screen.contains("Lorem"),
        "{screen}"
    );
    assert!(
        screen.contains("Lorem text") && !screen.contains("Ipsum text"),
        "{screen}"
    );
    // On the option choice, → picks the next option: its fields replace
    // the first option's, with its default.
    let page = state.current_page().unwrap();
    let at = page
        .fields
        .iter()
        .position(|f| schema::is_form_state(&f.key()))
        .unwrap();
    while state.focused().map(|(f, _)| f.key()) != Some(page.fields[at].key()) {
        state.handle_key(&Key::new(KeyCode::Tab, KeyModifiers::NONE));
    }
    state.values.insert("lorem".into(), json!("typed"));
    state.handle_key(&Key::new(KeyCode::Right, KeyModifiers::NONE));
    let screen = draw(&state);
    assert!(
        screen.contains("Ipsum text") && !screen.contains("Lorem text"),
        "{screen}"
    );
    assert!(!state.values.contains_key("lorem"));
    assert_eq!(state.values["ipsum"], json!("dolor"));
    assert!(schema::validate(&pages, &state.values).is_empty());
    // Sent values never carry the choice itself.
    let (plain, _) = schema::split_secrets(&pages, &state.values);
    assert_eq!(serde_json::Value::Object(plain), json!({"ipsum": "dolor"}));
    // Both options' values: refused, as the backend refuses them.
    state.values.insert("lorem".into(), json!("x"));
    let errors = schema::validate(&pages, &state.values);
    assert!(
        errors[0]
            .message
            .contains("exactly one of: Lorem, Ipsum (the values match Lorem and Ipsum)"),
        "{errors:?}"
    );
}

fn draw_form(state: &callboard_tui::screens::templates::form::FormState, w: u16, h: u16) -> String {
    use callboard_tui::screens::templates::form;
    use callboard_tui::theme::Theme;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;
    let theme = Theme::default_theme();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| form::draw(f, f.area(), state, &theme, None))
        .unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut text = String::new();
    for y in 0..h {
        for x in 0..w {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

fn press(
    state: &mut callboard_tui::screens::templates::form::FormState,
    code: crossterm::event::KeyCode,
) {
    state.handle_key(&callboard_tui::keymap::Key::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    ));
}

fn focus_on(state: &mut callboard_tui::screens::templates::form::FormState, key: &str) {
    for _ in 0..40 {
        if state.focused().map(|(f, _)| f.key()).as_deref() == Some(key) {
            return;
        }
        press(state, crossterm::event::KeyCode::Tab);
    }
    panic!("no field {key}");
}

/// Form keys do what the footer says: a radio moves with ←/→ and selects
/// with Space; a range moves with ←/→ within its bounds; a textarea says
/// how to leave it and that more lines exist; a free-form list says it is
/// comma-separated.
#[test]
fn radio_range_textarea_and_list_keys_match_their_hints() {
    use callboard_tui::screens::templates::form::FormState;
    use crossterm::event::KeyCode;
    let pages = vec![json!({"title": "Keys", "properties": {
        "tier": {"title": "Tier", "type": "string", "enum": ["gold", "silver", "bronze"], "ui:widget": "radio"},
        "size": {"title": "Size", "type": "integer", "minimum": 1, "maximum": 3, "default": 2, "ui:widget": "range"},
        "notes": {"title": "Notes", "type": "string", "ui:widget": "textarea", "ui:options": {"rows": 2}, "default": "a\nb\nc\nd"},
        "tags": {"title": "Tags", "type": "array", "items": {"type": "string"}}
    }})];
    let mut state = FormState::new("template:default/x", "X", pages, None);
    focus_on(&mut state, "tier");
    let screen = draw_form(&state, 80, 24);
    assert!(
        screen.contains("←/→ move") && screen.contains("Space select"),
        "{screen}"
    );
    press(&mut state, KeyCode::Right);
    assert!(!state.values.contains_key("tier"), "→ only moves");
    press(&mut state, KeyCode::Char(' '));
    assert_eq!(state.values["tier"], json!("silver"));
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Char(' '));
    assert_eq!(state.values["tier"], json!("bronze"));
    assert!(draw_form(&state, 80, 24).contains("(•) bronze"));

    focus_on(&mut state, "size");
    assert!(draw_form(&state, 80, 24).contains("←/→ adjust"));
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Right);
    assert_eq!(state.values["size"], json!(3), "stops at the maximum");
    for _ in 0..5 {
        press(&mut state, KeyCode::Left);
    }
    assert_eq!(state.values["size"], json!(1), "stops at the minimum");
    assert!(draw_form(&state, 80, 24).contains("‹ 1 ›  1–3"));

    focus_on(&mut state, "notes");
    let screen = draw_form(&state, 80, 24);
    assert!(
        screen.contains("Enter new line") && screen.contains("Tab/↓ next field"),
        "{screen}"
    );
    assert!(screen.contains("… 2 more lines"), "{screen}");

    focus_on(&mut state, "tags");
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("comma-separated: a, b, c"), "{screen}");
    for c in "x, y".chars() {
        press(&mut state, KeyCode::Char(c));
    }
    assert_eq!(state.values["tags"], json!(["x", "y"]));
}

/// RepoUrlPicker: a single allowed host is preselected, allowed owners are
/// offered (←/→), and a part is checked when it is left, not while typed.
#[test]
fn repo_url_picker_preselects_offers_owners_and_checks_on_leaving() {
    use callboard_tui::screens::templates::form::FormState;
    use crossterm::event::KeyCode;
    let pages = vec![
        json!({"title": "Repo", "required": ["repoUrl"], "properties": {
            "repoUrl": {"title": "Repository", "type": "string", "ui:field": "RepoUrlPicker",
                        "ui:options": {"allowedHosts": ["github.com"], "allowedOwners": ["acme", "globex"]}},
            "after": {"title": "After", "type": "string"}
        }}),
    ];
    let mut state = FormState::new("template:default/x", "X", pages, None);
    assert_eq!(state.values["repoUrl"], json!("github.com"));
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("github.com"), "{screen}");
    // The owner part offers the allowed owners.
    press(&mut state, KeyCode::Tab);
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("←/→ choose: acme, globex"), "{screen}");
    press(&mut state, KeyCode::Right);
    assert!(state.values["repoUrl"]
        .as_str()
        .unwrap()
        .contains("owner=acme"));
    // Typing the repository: no message yet.
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Char('r'));
    press(&mut state, KeyCode::Backspace);
    assert!(
        state.shown_errors().is_empty(),
        "{:?}",
        state.shown_errors()
    );
    // Leaving the empty part: now it is checked.
    press(&mut state, KeyCode::Tab);
    let errors = state.shown_errors();
    assert!(
        errors
            .iter()
            .any(|e| e.path == "repoUrl" && e.message == "Repository is required"),
        "{errors:?}"
    );
}

/// The current directory itself is never the target without asking: typed
/// as `.`, the first Enter asks, nothing is written.
#[test]
fn writing_into_the_current_directory_asks_first() {
    let mut h = Harness::demo((80, 24));
    h.press("<esc>t<enter>seat-map<ctrl-n><ctrl-n>l");
    h.settle();
    h.press("<ctrl-u>.<enter>");
    let screen = h.render();
    assert!(
        matches!(h.app.templates, Some(TemplateScreen::Plan(..))),
        "{screen}"
    );
    assert!(screen.contains("Enter again to confirm"), "{screen}");
}

/// A list of objects gets an item editor: add, edit, remove, reorder;
/// each item is a small form with its own validation and choices.
#[test]
fn arrays_of_objects_are_edited_item_by_item() {
    use callboard_tui::screens::templates::form::FormState;
    use crossterm::event::{KeyCode, KeyModifiers};
    let pages = vec![json!({"title": "Ports", "properties": {
        "ports": {"title": "Ports", "type": "array", "items": {"type": "object", "required": ["name"], "properties": {
            "name": {"title": "Name", "type": "string"},
            "proto": {"title": "Protocol", "type": "string", "enum": ["tcp", "udp"], "default": "tcp"},
            "port": {"title": "Port", "type": "integer", "minimum": 1}
        }}}
    }})];
    let mut state = FormState::new("template:default/x", "X", pages.clone(), None);
    focus_on(&mut state, "ports");
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("0 items  ⏎ edit the items"), "{screen}");
    press(&mut state, KeyCode::Enter);
    assert!(draw_form(&state, 80, 24).contains("no items yet: a adds one"));
    // A new item: its own form, with the enum's default; Name is required.
    press(&mut state, KeyCode::Char('a'));
    let screen = draw_form(&state, 80, 24);
    assert!(
        screen.contains("Ports · item 1") && screen.contains("Protocol"),
        "{screen}"
    );
    press(&mut state, KeyCode::Esc);
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("name: Required"), "{screen}");
    for c in "web".chars() {
        press(&mut state, KeyCode::Char(c));
    }
    press(&mut state, KeyCode::Esc);
    // A second one, edited to udp.
    press(&mut state, KeyCode::Char('a'));
    for c in "dns".chars() {
        press(&mut state, KeyCode::Char(c));
    }
    press(&mut state, KeyCode::Tab);
    press(&mut state, KeyCode::Right);
    press(&mut state, KeyCode::Esc);
    let screen = draw_form(&state, 80, 24);
    assert!(screen.contains("1. name: web, proto: tcp"), "{screen}");
    assert!(screen.contains("2. name: dns, proto: udp"), "{screen}");
    // Reorder (the cursor is on the new item), then remove the first.
    state.handle_key(&callboard_tui::keymap::Key::new(
        KeyCode::Char('K'),
        KeyModifiers::SHIFT,
    ));
    assert!(draw_form(&state, 80, 24).contains("1. name: dns"));
    press(&mut state, KeyCode::Down);
    press(&mut state, KeyCode::Char('d'));
    press(&mut state, KeyCode::Esc);
    assert_eq!(
        state.values["ports"],
        json!([{"name": "dns", "proto": "udp"}])
    );
    assert!(callboard_core::template::schema::validate(&pages, &state.values).is_empty());
    assert!(draw_form(&state, 80, 24).contains("1 item  ⏎ edit the items"));
}
