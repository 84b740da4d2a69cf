//! Counts read as English: "1 template", "1 file", "1 request", never
//! "1 templates".

use super::cli::{stderr, stdout, Env};
use crate::support::Server;

const GROUP: &str = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-a\nspec:\n  type: team\n  children: []\n";
const SERVICE: &str = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: svc\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n  dependsOn: [resource:db]\n";
const DB: &str = "apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata:\n  name: db\nspec:\n  type: database\n  owner: team-a\n";

/// "1 <noun>s" anywhere in `text`.
fn singular_mistakes(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"(?:^|[^\d.,/])1 ([a-z]+(?:s|ies))\b").unwrap();
    re.captures_iter(text)
        .map(|c| c[0].to_string())
        .filter(|m| !m.ends_with(" is") && !m.ends_with("ms"))
        .collect()
}

fn all(out: &std::process::Output) -> String {
    stdout(out) + &stderr(out)
}

#[test]
fn one_of_anything_is_singular() {
    let env = Env::new();
    let dir = env.path("repo");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("catalog-info.yaml");
    std::fs::write(&file, format!("{GROUP}---\n{SERVICE}")).unwrap();
    let src = dir.to_str().unwrap();

    let out = env.run(&["--source", src, "sync"]);
    assert!(out.status.success(), "{}", all(&out));
    assert!(
        stdout(&out).contains("2 entities from 1 file, 0 errors, 0 warnings"),
        "{}",
        all(&out)
    );

    // One dangling dependsOn: one warning.
    let out = env.run(&["validate", file.to_str().unwrap()]);
    let text = all(&out);
    assert!(
        text.contains("1 file, 2 entities: 0 errors, 1 warning"),
        "{text}"
    );
    assert!(singular_mistakes(&text).is_empty(), "{text}");

    let out = env.run(&["template", "list"]);
    let text = all(&out);
    assert!(text.contains("1 template"), "{text}");
    assert!(singular_mistakes(&text).is_empty(), "{text}");

    std::fs::write(&file, format!("{GROUP}---\n{SERVICE}---\n{DB}")).unwrap();
    assert!(env.run(&["--source", src, "sync"]).status.success());
    let out = env.run(&["--source", src, "deps", "db", "--reverse"]);
    let text = all(&out);
    assert!(text.contains("1 dependent (blast radius)"), "{text}");
    let out = env.run(&["--source", src, "deps", "svc"]);
    let text = all(&out);
    assert!(text.contains("1 dependency"), "{text}");
    assert!(singular_mistakes(&text).is_empty(), "{text}");
}

#[test]
fn a_remote_sync_in_one_request_says_request() {
    let server = Server::start();
    let env = Env::new();
    let config = env.path("config.yaml");
    std::fs::write(
        &config,
        format!(
            "sources:\n  - name: prod\n    url: {}\n    token: {{env: CALLBOARD_TOKEN}}\n    page_size: 500\n",
            server.url()
        ),
    )
    .unwrap();
    let out = env
        .cmd(&["--config", config.to_str().unwrap(), "sync", "--full"])
        .env("CALLBOARD_TOKEN", crate::support::TOKEN)
        .output()
        .unwrap();
    let text = all(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(" in 1 request,"), "{text}");
    assert!(singular_mistakes(&text).is_empty(), "{text}");
}
