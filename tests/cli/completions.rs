//! Shell completions and the man page come from the same definition as
//! the parser, so they list every subcommand.

use super::cli::{stderr, stdout, Env};

const SUBCOMMANDS: [&str; 9] = [
    "sync", "login", "logout", "search", "show", "deps", "template", "docs", "validate",
];

#[test]
fn completions_for_bash_zsh_and_fish_name_every_subcommand() {
    let env = Env::new();
    for (shell, marker) in [
        ("bash", "complete -F _callboard"),
        ("zsh", "#compdef callboard"),
        ("fish", "complete -c callboard"),
    ] {
        let out = env.run(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(marker), "{shell}:\n{text}");
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} lacks {sub}");
        }
        // Options of a subcommand too.
        assert!(text.contains("--reverse"), "{shell} lacks deps --reverse");
    }
    let out = env.run(&["completions", "tcsh-like-nothing"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completions_need_no_config_or_cache() {
    let env = Env::new();
    let config = env.path("broken.yaml");
    std::fs::write(&config, "sources: [").unwrap();
    let out = env.run(&["--config", config.to_str().unwrap(), "completions", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand() {
    let env = Env::new();
    let out = env.run(&["man"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(".ie") || text.contains(".TH callboard 1"),
        "{text}"
    );
    assert!(text.contains(".TH callboard 1"), "{text}");
    assert!(text.contains(".SH SUBCOMMANDS"), "{text}");
    for sub in SUBCOMMANDS {
        assert!(text.contains(sub), "man page lacks {sub}");
    }
    assert!(text.contains("Exit codes"), "{text}");
}
