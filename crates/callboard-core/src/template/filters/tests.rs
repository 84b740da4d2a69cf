//! What the scaffolder's renderer (nunjitsu 0.6, in
//! plugin-scaffolder-backend 4.2) gives for the cases below, checked
//! against its dry-run (tests/live/template_probes.rs).

use serde_json::json;

use crate::template::expr::{render_str, render_value, Syntax, Val};

fn ctx() -> Val {
    Val::from(
        &json!({"v": {"name": "ba na-na", "n": 3.14259, "tags": ["a", "b"], "csv": "build,dev,qa", "nothing": null}}),
    )
}

fn r(src: &str) -> Result<String, String> {
    render_str(src, &ctx(), Syntax::default()).map_err(|e| e.message)
}

#[test]
fn only_the_allowed_string_methods_can_be_called() {
    assert_eq!(
        r("${{ v.name.slice(1, 3) }}|${{ v.name.slice(-2) }}").unwrap(),
        "a |na"
    );
    assert_eq!(r("${{ v.name.substring(3) }}").unwrap(), "na-na");
    assert_eq!(
        r("${{ v.name.charAt(1) }}${{ v.name.charCodeAt(0) }}").unwrap(),
        "a98"
    );
    assert_eq!(
        r("${{ v.name.indexOf('a') }} ${{ v.name.lastIndexOf('a') }}").unwrap(),
        "1 7"
    );
    assert_eq!(r("${{ v.name.split('a', 2) }}").unwrap(), "b, n");
    assert_eq!(
        r("${{ v.n.toFixed(2) }} ${{ v.tags.at(-1) }}").unwrap(),
        "3.14 b"
    );
    let e = r("${{ v.name.replaceAll('a', 'o') }}").unwrap_err();
    assert_eq!(
        e,
        "Template value \"v.name.replaceAll\" resolved to undefined and cannot be called"
    );
    assert!(r("${{ v.name['padStart'](9) }}")
        .unwrap_err()
        .contains("\"v.name.padStart\""));
    assert!(r("${{ v.missing.trim() }}")
        .unwrap_err()
        .contains("\"v.missing.trim\""));
    assert!(r("${{ v.name.replace('a') }}")
        .unwrap_err()
        .contains("requires 2 positional"));
    assert!(r("${{ v.name.trim(1) }}").is_err());
}

#[test]
fn undefined_input_fails_string_trim_join_first_and_renders_empty_elsewhere() {
    for f in [
        "string", "trim", "join", "first", "last", "list", "sum", "urlize",
    ] {
        let e = r(&format!("${{{{ v.missing | {f} }}}}")).unwrap_err();
        assert!(
            e.starts_with(&format!("Filter \"{f}\" failed for undefined input")),
            "{f}: {e}"
        );
    }
    assert_eq!(r("${{ v.missing | int }}|${{ v.missing | float }}|${{ v.missing | urlencode }}|${{ v.missing | upper }}|${{ v.missing | length }}").unwrap(), "||||0");
    assert_eq!(r("${{ 'x' | int(7) }}${{ 5 | urlencode }}").unwrap(), "7");
    assert!(r("${{ 5 | trim }}").is_err());
    assert!(r("${{ 'a b' | join }}").is_err());
    assert!(r("${{ v.nothing | string }}").is_err());
}

#[test]
fn a_step_input_string_that_fails_keeps_its_raw_text() {
    let input = json!({"a": "${{ v.missing | trim }}", "b": "x ${{ v.name.replaceAll('a', 'b') }}", "c": "${{ v.missing | int }}", "d": "${{ v.name | upper }}"});
    let out = render_value(&input, &ctx()).unwrap().unwrap();
    assert_eq!(
        out,
        json!({"a": "${{ v.missing | trim }}", "b": "x ${{ v.name.replaceAll('a', 'b') }}", "d": "BA NA-NA"})
    );
}

#[test]
fn wordcount_counts_runs_of_word_characters() {
    assert_eq!(r("${{ v.csv | wordcount }}").unwrap(), "3");
    assert_eq!(r("${{ 'a-b_c d.e' | wordcount }}").unwrap(), "4");
    assert_eq!(
        r("${{ '' | wordcount }}|${{ '--' | wordcount }}|${{ 0 | wordcount }}").unwrap(),
        "||"
    );
}

#[test]
fn urlize_links_urls_www_mail_and_common_domains() {
    let out = r("${{ 'see https://example.org/x, www.example.com and me@example.com or (example.net). plain' | urlize }}").unwrap();
    assert_eq!(out, "see <a href=\"https://example.org/x\">https://example.org/x</a> <a href=\"http://www.example.com\">www.example.com</a> and <a href=\"mailto:me@example.com\">me@example.com</a> or (example.net). plain");
    let short = r("${{ 'https://example.org/long' | urlize(10, true) }}").unwrap();
    assert_eq!(
        short,
        "<a href=\"https://example.org/long\" rel=\"nofollow\">https://ex</a>"
    );
    assert_eq!(
        r("${{ 'a.com/x' | urlize }}").unwrap(),
        "<a href=\"http://a.com/x\">a.com/x</a>"
    );
}
