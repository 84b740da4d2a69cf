//! The real binary in a real terminal: tmux runs `callboard` on the demo
//! catalog at 80x24; keys go in with `send-keys`, the screen comes back with
//! `capture-pane`. The tmux tests are `#[ignore = "needs tmux"]`; the two
//! that need no terminal always run.

use std::path::Path;
use std::process::Command;

use crate::tmux::{children_of, Tmux};

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

#[test]
#[ignore = "needs tmux"]
fn search_open_follow_back_owner_quit() {
    let t = Tmux::start((80, 24));
    // First start syncs the embedded demo, then lists it.
    let screen = t.wait("the catalog", 30, |s| {
        s.contains("demo · synced") && s.contains("component payments-service")
    });
    assert_eq!(
        t.var("alternate_on"),
        "1",
        "the UI runs on the alternate screen"
    );
    assert!(screen.lines().count() <= 24);

    // Type a query: the list narrows to the service.
    t.type_text("payments-serv");
    let screen = t.wait("the query to narrow the list", 10, |s| {
        s.contains("/ payments-serv")
            && s.lines()
                .nth(2)
                .is_some_and(|l| l.contains("› component payments-service"))
    });
    // The service by name, and fraud-check by its description (which
    // names payments-service).
    assert!(screen.contains("2 / "), "{screen}");

    // Open it.
    t.keys(&["Enter"]);
    // The header comes at once, the details when the worker answers.
    let screen = t.wait("the entity's details", 10, |s| {
        s.contains("Catalog › payments-service")
            && s.contains("Authorises, captures and refunds card payments")
    });
    assert!(screen.contains("★ Runbook"), "{screen}");

    // Follow a dependency: the Dependencies pane, Enter on the first node.
    t.keys(&["4"]);
    let screen = t.wait_for("Depends on —");
    assert!(screen.contains("component:fraud-check"), "{screen}");
    assert!(screen.contains("blast radius"), "{screen}");
    t.keys(&["Enter"]);
    let screen = t.wait_for("Catalog › payments-service › fraud-check");
    assert!(screen.contains("component:default/fraud-check"), "{screen}");

    // Back.
    t.keys(&["Escape"]);
    let screen = t.wait("the way back", 10, |s| {
        header(s).contains("Catalog › payments-service") && !header(s).contains("fraud-check")
    });
    assert!(
        screen.contains("Depends on —"),
        "the pane is kept:\n{screen}"
    );

    // The owner: members and their emails.
    t.keys(&["2"]);
    let screen = t.wait_for("Members (2)");
    for needle in [
        "Owner: Payments Team",
        "team-payments@northwind.example",
        "sofia.marquez@northwind.example",
        "tomasz.wilk@northwind.example",
    ] {
        assert!(screen.contains(needle), "{needle}:\n{screen}");
    }

    // Quit: the process exits 0 and the terminal is restored.
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(), "0");
    assert_eq!(t.var("alternate_on"), "0", "the alternate screen was left");
}

#[test]
#[ignore = "needs tmux"]
fn sigterm_restores_the_terminal() {
    let t = Tmux::start((80, 24));
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    assert_eq!(t.var("alternate_on"), "1");
    // The pane runs `sh -c 'callboard; echo $? > …'`: signal its child.
    let shell = t.var("pane_pid");
    let children = children_of(&shell);
    assert_eq!(children.len(), 1, "callboard's pid: {children:?}");
    let pid = &children[0];
    let status = Command::new("kill").args(["-TERM", pid]).status().unwrap();
    assert!(status.success());
    assert_eq!(t.wait_exit(), "0");
    assert_eq!(
        t.var("alternate_on"),
        "0",
        "SIGTERM left the alternate screen"
    );
}

#[test]
#[ignore = "needs tmux"]
fn a_panic_restores_the_terminal_and_says_what_happened() {
    // Debug builds panic on the key named by CALLBOARD_TEST_PANIC_KEY.
    if !cfg!(debug_assertions) {
        panic!("needs a debug build: release builds ignore CALLBOARD_TEST_PANIC_KEY");
    }
    let t = Tmux::start_env(
        (80, 24),
        &["CALLBOARD_TEST_PANIC_KEY=%", "RUST_BACKTRACE=0"],
    );
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    assert_eq!(t.var("alternate_on"), "1");
    t.keys(&["Escape"]);
    t.wait("the list focus", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("/ search"))
    });
    t.type_text("%");
    assert_eq!(t.wait_exit(), "101", "a panic exits 101");
    assert_eq!(t.var("alternate_on"), "0", "the alternate screen was left");
    let screen = t.screen();
    assert!(
        screen.contains("test panic (CALLBOARD_TEST_PANIC_KEY=%)"),
        "the panic message is printed on the restored screen:\n{screen}"
    );
}

#[test]
#[ignore = "needs tmux"]
fn ctrl_c_quits_even_while_typing_and_restores_the_terminal() {
    let t = Tmux::start((80, 24));
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    // In the query line `q` is text; Ctrl-C still quits.
    t.type_text("q");
    t.wait_for("/ q");
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(), "0");
    assert_eq!(
        t.var("alternate_on"),
        "0",
        "Ctrl-C left the alternate screen"
    );
}

#[test]
fn not_a_terminal_is_an_error_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_callboard"))
        .env("XDG_CACHE_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env_remove("CALLBOARD_CACHE_DIR")
        .env_remove("CALLBOARD_CONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("needs a terminal") && err.contains("callboard search"),
        "{err}"
    );
}

#[test]
fn a_bad_keys_config_is_reported_before_the_terminal_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "keys:\n  fly: x\n").unwrap();
    let path: &Path = &config;
    let out = Command::new(env!("CARGO_BIN_EXE_callboard"))
        .arg("--config")
        .arg(path)
        .env("XDG_CACHE_HOME", dir.path())
        .env_remove("CALLBOARD_CACHE_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config: keys: 'fly' is not an action"),
        "{err}"
    );
}

#[test]
#[ignore = "needs tmux"]
fn ctrl_z_gives_the_terminal_back_and_fg_takes_it_again() {
    // Job control needs a shell: run callboard from an interactive bash.
    let t = Tmux::start_with((80, 24), &["bash", "--norc", "--noprofile", "-i"]);
    t.wait("the shell", 10, |s| !s.trim().is_empty());
    t.type_text(&format!("PS1='$ '; {}", env!("CARGO_BIN_EXE_callboard")));
    t.keys(&["Enter"]);
    t.wait("the catalog", 30, |s| s.contains("demo · synced"));
    t.type_text("postgres");
    t.wait_for("/ postgres");
    t.keys(&["C-z"]);
    let screen = t.wait("the shell's job message", 10, |s| s.contains("Stopped"));
    assert_eq!(t.var("alternate_on"), "0", "{screen}");
    t.type_text("fg");
    t.keys(&["Enter"]);
    let screen = t.wait("the UI to come back", 10, |s| {
        s.contains("/ postgres") && s.contains("postgres-main")
    });
    assert_eq!(t.var("alternate_on"), "1", "{screen}");
    // Separately: ESC and q in one write would read as Alt-q.
    t.keys(&["Escape"]);
    t.wait("the list focus", 10, |s| {
        s.lines().last().is_some_and(|l| l.contains("/ search"))
    });
    t.keys(&["q"]);
    t.wait("the shell prompt", 10, |s| {
        s.lines().any(|l| l.starts_with("$ ")) && !s.contains("/ postgres")
    });
    assert_eq!(t.var("alternate_on"), "0");
}
