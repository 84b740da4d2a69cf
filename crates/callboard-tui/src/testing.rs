//! A test harness: the real [`App`], the real workers and a real cache in a
//! temp dir, driven synchronously and drawn into ratatui's `TestBackend`.
//! Used by `tests/tui/` and the benchmarks; not part of the UI itself.

use std::path::Path;
use std::time::{Duration, Instant};

use crossterm::event::{KeyEvent, KeyEventKind, KeyEventState};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use crate::app::{App, Effect, Env};
use crate::keymap::{Key, Keymap};
use crate::messages::{Msg, Request, UiReceiver};
use crate::theme::Theme;
use crate::workers::{WorkerConfig, Workers};
use callboard_core::catalog::relations::{emit_relations, stitch};
use callboard_core::catalog::{CatalogEntity, Entity, Origin};
use callboard_io::cache::Cache;
use callboard_io::config::{Source, SourceKind};

pub struct Harness {
    pub app: App,
    workers: Workers,
    rx: UiReceiver,
    /// (what, text) of every copy asked for.
    pub copied: Vec<(String, String)>,
    /// Every URL asked to be opened.
    pub opened: Vec<String>,
    pub syncs_started: usize,
    pings: u64,
    /// Keeps the cache dir alive.
    pub dir: tempfile::TempDir,
}

/// Build entities from JSON documents, deriving relations as a local
/// source does, each placed at `file:/catalog/catalog-info.yaml:<n>`.
pub fn entities(docs: Vec<serde_json::Value>) -> Vec<CatalogEntity> {
    let mut list: Vec<Entity> = docs
        .into_iter()
        .map(|d| Entity::from_value(d).expect("a valid entity document"))
        .collect();
    let emitted: Vec<_> = list
        .iter()
        .flat_map(|e| emit_relations(e).unwrap_or_default())
        .collect();
    stitch(&mut list, emitted);
    list.into_iter()
        .enumerate()
        .map(|(i, entity)| CatalogEntity {
            entity,
            origin: Origin {
                source: "test".into(),
                location: "file:/catalog/catalog-info.yaml".into(),
                line: Some(1 + 10 * i as u32),
            },
        })
        .collect()
}

impl Harness {
    /// A harness over these entities (a source named `test`).
    pub fn with_entities(docs: Vec<serde_json::Value>, size: (u16, u16)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = Cache::new(dir.path().join("cache"));
        cache
            .write_snapshot("test", "/catalog", &entities(docs), &[])
            .expect("write the test snapshot");
        let config = WorkerConfig {
            cache,
            sources: vec![Source {
                name: "test".into(),
                kind: SourceKind::Local {
                    roots: vec!["/catalog".into()],
                },
            }],
            allowed_kinds: None,
            remotes: Default::default(),
        };
        Harness::start(config, dir, size, Theme::default_theme())
    }

    /// A harness over the embedded demo catalog (synced on first load).
    pub fn demo(size: (u16, u16)) -> Harness {
        let mut h = Harness::demo_unsettled(size);
        h.settle();
        h
    }

    /// [`Harness::demo`] before its first load: keys pressed now meet a
    /// catalog that is still loading.
    pub fn demo_unsettled(size: (u16, u16)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = WorkerConfig {
            cache: Cache::new(dir.path().join("cache")),
            sources: vec![Source {
                name: callboard_io::demo::SOURCE_NAME.into(),
                kind: SourceKind::Demo,
            }],
            allowed_kinds: None,
            remotes: Default::default(),
        };
        Harness::start_unsettled(config, dir, size, Theme::default_theme())
    }

    /// A harness over existing sources (benchmarks: a synced big catalog).
    pub fn over(cache_dir: &Path, sources: Vec<Source>, size: (u16, u16)) -> Harness {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = WorkerConfig {
            cache: Cache::new(cache_dir),
            sources,
            allowed_kinds: None,
            remotes: Default::default(),
        };
        Harness::start(config, dir, size, Theme::default_theme())
    }

    pub fn start(
        config: WorkerConfig,
        dir: tempfile::TempDir,
        size: (u16, u16),
        theme: Theme,
    ) -> Harness {
        let mut h = Harness::start_unsettled(config, dir, size, theme);
        h.settle();
        h
    }

    /// [`Harness::start`] without waiting for the first load (a test that
    /// watches the first sync as it runs calls [`Harness::pump`]).
    pub fn start_unsettled(
        config: WorkerConfig,
        dir: tempfile::TempDir,
        size: (u16, u16),
        theme: Theme,
    ) -> Harness {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let workers = Workers::spawn(config, tx);
        let app = App::new(Keymap::default(), theme, Env::default(), size, 0);
        Harness {
            app,
            workers,
            rx,
            copied: Vec::new(),
            opened: Vec::new(),
            syncs_started: 0,
            pings: 0,
            dir,
        }
    }

    /// Forward queued effects to the workers (copies and opens are only
    /// recorded).
    fn run_effects(&mut self) -> bool {
        let effects = self.app.take_effects();
        let any = !effects.is_empty();
        for effect in effects {
            match effect {
                Effect::Request(r) => self.workers.send(r),
                Effect::Copy { text, what } => self.copied.push((what, text)),
                Effect::OpenUrl(url) => self.opened.push(url),
                Effect::Suspend => {}
                Effect::CancelSync => self.workers.cancel_sync(),
                Effect::StartSync => {
                    self.syncs_started += 1;
                    self.workers.start_sync();
                }
                Effect::Refresh(names) => {
                    self.workers.start_refresh(names);
                }
            }
        }
        any
    }

    /// Run until the workers have answered everything and the matcher is
    /// done; then fix the clock at 3 minutes after the newest sync.
    pub fn settle(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.run_effects();
            // Read before the ping: when no sync runs now, every message a
            // sync sent is queued ahead of the pongs (one FIFO channel), so
            // it is handled before the check below.
            let sync_thread_running = self.workers.syncing();
            self.pings += 1;
            let ping = self.pings;
            self.workers.send(Request::Ping(ping));
            let mut pongs = 0;
            while pongs < crate::workers::PONGS {
                assert!(
                    Instant::now() < deadline,
                    "the workers did not answer in time"
                );
                match self.rx.try_recv() {
                    Ok(Msg::Pong(n)) if n == ping => pongs += 1,
                    Ok(msg) => self.app.handle_msg(msg),
                    Err(_) => std::thread::sleep(Duration::from_millis(1)),
                }
            }
            if let Some(p) = &mut self.app.catalog.picker {
                p.settle();
            }
            self.app.prepare_frame(0);
            let syncing = sync_thread_running || self.app.sync.is_some();
            if self.app.effects.is_empty() && !syncing {
                break;
            }
            if syncing {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if let Some(newest) = self.app.sources.iter().filter_map(|s| s.synced_at_ms).max() {
            self.app.now_ms = newest + 3 * 60_000;
        }
    }

    /// Forward queued effects and handle the messages already sent,
    /// without waiting for anything (a test watching a sync as it runs).
    pub fn pump(&mut self) {
        self.run_effects();
        while let Ok(msg) = self.rx.try_recv() {
            self.app.handle_msg(msg);
        }
    }

    /// Press one key (`j`, `enter`, `ctrl-d`, `shift-tab`) and settle.
    pub fn key(&mut self, key: &str) {
        self.key_no_settle(key);
        self.settle();
    }

    pub fn key_no_settle(&mut self, key: &str) {
        let k = Key::parse(key).unwrap_or_else(|e| panic!("{e}"));
        let event = KeyEvent {
            code: k.code,
            modifiers: k.mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        };
        self.app.handle_key(event);
    }

    /// Press keys written as text with `<name>` for named keys:
    /// `"pay<enter>2"`, `"<esc>j<ctrl-d>"`.
    pub fn press(&mut self, keys: &str) {
        let mut rest = keys;
        while let Some(c) = rest.chars().next() {
            if c == '<' {
                if let Some(end) = rest.find('>') {
                    if end > 1 {
                        self.key_no_settle(&rest[1..end]);
                        rest = &rest[end + 1..];
                        self.settle();
                        continue;
                    }
                }
            }
            let event = KeyEvent {
                code: crossterm::event::KeyCode::Char(c),
                modifiers: crossterm::event::KeyModifiers::NONE,
                kind: KeyEventKind::Press,
                state: KeyEventState::NONE,
            };
            self.app.handle_key(event);
            rest = &rest[c.len_utf8()..];
            self.settle();
        }
    }

    pub fn resize(&mut self, w: u16, h: u16) {
        self.app.update(crate::keymap::Action::Resize(w, h));
        self.settle();
    }

    /// Draw the current state and return the buffer.
    pub fn buffer(&mut self) -> Buffer {
        self.app.prepare_frame(0);
        let (w, h) = self.app.size;
        let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        terminal
            .draw(|f| crate::view::draw(f, &self.app))
            .expect("draw");
        terminal.backend().buffer().clone()
    }

    /// Draw and return the screen as text, one line per row, trailing
    /// spaces removed.
    pub fn render(&mut self) -> String {
        buffer_text(&self.buffer())
    }
}

/// A buffer as plain text (wide characters take their two columns once).
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let cell = &buffer[(x, y)];
            let symbol = cell.symbol();
            line.push_str(symbol);
            skip = callboard_core::text::width(symbol).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A small catalog that exercises every pane: an owner group with parents,
/// members (one without email), on-call keys and a team runbook; a service
/// with a runbook, dependencies (one dangling) and APIs; an OpenAPI API; a
/// long name, wide (CJK) text, and an entity whose strings carry ESC, CSI
/// and OSC sequences.
pub fn fixture() -> Vec<serde_json::Value> {
    use serde_json::json;
    let openapi = "openapi: 3.0.3\ninfo:\n  title: Payments API\n  version: 1.2.0\npaths:\n  /payments:\n    get:\n      summary: List payments\n    post:\n      summary: Authorise a payment\n  /payments/{id}/refund:\n    post:\n      summary: Refund a payment\n";
    vec![
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "org", "title": "Example Org"},
               "spec": {"type": "organization", "children": ["team-a"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Group",
               "metadata": {"name": "team-a", "description": "Payments and checkout.",
                            "annotations": {"pagerduty.com/service-id": "PTEAM01", "opsgenie.com/team": "team-a"},
                            "links": [{"url": "https://runbooks.example.com/team-a", "title": "Team runbook", "type": "runbook"}]},
               "spec": {"type": "team", "parent": "org", "children": [], "members": ["ann", "bo"],
                        "profile": {"displayName": "Team A", "email": "team-a@example.com"}}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
               "metadata": {"name": "ann"},
               "spec": {"memberOf": ["team-a"], "profile": {"displayName": "Ann Lee", "email": "ann@example.com"}}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "User",
               "metadata": {"name": "bo"}, "spec": {"memberOf": ["team-a"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Domain",
               "metadata": {"name": "commerce"}, "spec": {"owner": "team-a"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "System",
               "metadata": {"name": "payments", "title": "Payments"},
               "spec": {"owner": "team-a", "domain": "commerce"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "payments-service", "title": "Payments service",
                            "description": "Authorises, captures and refunds card payments.",
                            "tags": ["java", "pci"], "labels": {"tier": "critical"},
                            "annotations": {"pagerduty.com/service-id": "PSVC001", "github.com/project-slug": "example/payments"},
                            "links": [{"url": "https://grafana.example.com/d/payments", "title": "Dashboard"},
                                      {"url": "https://runbooks.example.com/payments-service", "title": "Runbook"}]},
               "spec": {"type": "service", "lifecycle": "production", "owner": "team-a", "system": "payments",
                        "dependsOn": ["resource:db", "component:ghost"],
                        "providesApis": ["payments-api"], "consumesApis": ["fares-api"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "checkout", "title": "Checkout", "description": "The checkout web app."},
               "spec": {"type": "website", "lifecycle": "production", "owner": "team-a", "system": "payments",
                        "dependsOn": ["component:payments-service"], "consumesApis": ["payments-api"]}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "no-runbook", "description": "Owned by a user; nobody wrote a runbook."},
               "spec": {"type": "library", "lifecycle": "experimental", "owner": "user:bo"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Resource",
               "metadata": {"name": "db", "title": "Main database", "description": "PostgreSQL cluster."},
               "spec": {"type": "database", "owner": "team-a", "system": "payments"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "API",
               "metadata": {"name": "payments-api", "title": "Payments API"},
               "spec": {"type": "openapi", "lifecycle": "production", "owner": "team-a", "system": "payments",
                        "definition": openapi}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "API",
               "metadata": {"name": "fares-api"},
               "spec": {"type": "grpc", "lifecycle": "production", "owner": "team-a",
                        "definition": "syntax = \"proto3\";\nservice Fares {\n  rpc Quote (QuoteRequest) returns (QuoteReply);\n}\n"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "a-component-with-a-very-long-name-that-never-seems-to-end-at-all",
                            "title": "A component whose title is also far too long to fit in any reasonable column of a list"},
               "spec": {"type": "service", "lifecycle": "production", "owner": "group:default/a-group-with-a-long-name-too"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "kessai", "title": "決済サービス（日本）", "description": "日本のカード決済を処理するサービスです。返金も扱います。",
                            "tags": ["日本"]},
               "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}}),
        json!({"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
               "metadata": {"name": "evil",
                            "title": "\u{1b}]0;pwned\u{7}Evil \u{1b}[31mred\u{1b}[0m title",
                            "description": "before\u{1b}[2J\u{1b}[H\u{1b}]52;c;ZXZpbA==\u{7} after\r\noverwrite\u{9b}31m",
                            "annotations": {"x.example/\u{1b}[1mkey": "\u{1b}]8;;https://evil.example\u{1b}\\click\u{1b}]8;;\u{1b}\\"},
                            "links": [{"url": "https://evil.example/\u{1b}[6n", "title": "\u{1b}[5mRunbook\u{1b}[0m"}],
                            "tags": ["\u{1b}[41mtag"]},
               "spec": {"type": "service", "lifecycle": "\u{1b}[7mproduction", "owner": "team-a"}}),
    ]
}
