//! The expression engine against the real scaffolder: each expression is
//! logged by a `debug:log` step in a server dry-run and rendered locally
//! with the same parameters; the texts must be equal.

use std::time::Duration;

use callboard_core::template::expr::{render_str, Syntax, Val};
use callboard_core::template::{RunEvent, Template};
use callboard_io::source::auth::Secret;
use callboard_io::template::remote::Scaffolder;
use serde_json::{json, Value};

use crate::backend::{require_live, Live};

const EXPRESSIONS: &[&str] = &[
    "${{ parameters.name }}",
    "${{ parameters.tags }}",
    "${{ parameters.obj }}",
    "${{ parameters.missing }}|${{ parameters.nothing }}",
    "${{ parameters.n / 3 }}",
    "${{ 0.1 + 0.2 }}",
    "${{ parameters.n * 1.5 }}",
    "${{ 2 ** 0.5 }}",
    "${{ -7 % 3 }}",
    "${{ 7 // 2 }}",
    "${{ 'a' + 1 }}",
    "${{ parameters.missing ~ 'x' }}",
    "${{ parameters.n == '10' }} ${{ parameters.n === 10 }}",
    "${{ parameters.flag and 'yes' }} ${{ parameters.off or 'fallback' }}",
    "${{ 'b' in parameters.tags }} ${{ 'z' not in parameters.tags }}",
    "${{ 'yes' if parameters.flag else 'no' }}",
    "${{ parameters.missing is defined }} ${{ parameters.name is string }}",
    "${{ parameters.obj | dump }}",
    "${{ parameters.obj | dump(2) }}",
    "${{ parameters.quote | dump }}",
    "${{ parameters.name | title }}",
    "${{ parameters.name | capitalize }}",
    "${{ parameters.name | upper }} ${{ parameters.name | lower }}",
    "${{ parameters.name | replace('o', '0') }}",
    "${{ parameters.name | replace('o', '0', 1) }}",
    "${{ 'abc' | replace('', '-') }}",
    "${{ parameters.name | truncate(9) }}",
    "${{ parameters.name | truncate(9, true) }}",
    "${{ parameters.name | length }} ${{ parameters.tags | length }}",
    "${{ parameters.tags | join(' / ') }}",
    "${{ parameters.tags | first }} ${{ parameters.tags | last }}",
    "${{ [3, 1, 2] | sort | join }} ${{ ['b', 'A', 'c'] | sort | join }}",
    "${{ parameters.tags | reverse | join }}",
    "${{ '  x  ' | trim }}|",
    "${{ '42px' | int }} ${{ 'x' | int(7) }} ${{ '3.25' | float }}",
    "${{ 2.567 | round(2) }} ${{ 2.5 | round }} ${{ 2.4 | round(0, 'ceil') }}",
    "${{ parameters.multi | indent(2) }}",
    "${{ parameters.multi | indent(2, true) }}",
    "${{ parameters.html | escape }}",
    "${{ parameters.html | striptags }}",
    "${{ 'a b&c/d' | urlencode }}",
    "${{ 'one two  three' | wordcount }}",
    "${{ [1, 2, 3] | sum }}",
    "${{ 'x' | center(7) }}|",
    "${{ parameters.missing | default('dflt') }} ${{ parameters.empty | default('dflt', true) }}",
    "${{ parameters.repoUrl | parseRepoUrl | dump }}",
    "${{ parameters.repoUrl | projectSlug }}",
    "${{ parameters.owner | parseEntityRef | dump }}",
    "${{ parameters.owner | parseEntityRef | pick('name') }}",
    "${{ 'techdocs' | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'other' }) | dump }}",
    "${{ parameters | pick('deep.value') }}",
    "{% for t in parameters.tags %}${{ loop.index }}:${{ t }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% for k, v in parameters.obj %}${{ k }}=${{ v }}{% endfor %}",
    "{% if parameters.off %}a{% elif parameters.n > 5 %}b{% else %}c{% endif %}",
    "{% set x = parameters.name | upper %}${{ x }}",
    "a  {%- if true %}  b  {% endif -%}  c",
    "${{ parameters.name.split(' ')[1] }}",
    "${{ parameters.big }} ${{ parameters.small }} ${{ parameters.neg }}",
];

#[test]
#[ignore = "needs the live backend (CALLBOARD_LIVE_URL, CALLBOARD_LIVE_TOKEN)"]
fn expressions_render_as_the_scaffolder_renders_them() {
    let Live { url, token } = require_live();
    let params = json!({
        "name": "hello world foo", "tags": ["a", "b"], "obj": {"k": 1, "l": [true, null]}, "n": 10,
        "flag": true, "off": false, "empty": "", "nothing": null, "quote": "say \"hi\"\n\ttab \\ é",
        "multi": "one\ntwo\n\nthree", "html": "<b>x</b> & 'y' \"z\"",
        "repoUrl": "github.com?repo=x&owner=y", "owner": "group:default/team-a",
        "deep": {"value": 42}, "big": 123456789012u64, "small": 0.000001, "neg": -0.5
    });
    // Marked so the log line can be found; a mixed string stays a string.
    let steps: Vec<Value> = EXPRESSIONS
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"id": format!("e{i}"), "action": "debug:log", "input": {"message": format!("«{e}»")}}))
        .collect();
    let entity = json!({"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
        "metadata": {"name": "expr"}, "spec": {"type": "x", "owner": "group:a", "steps": steps}});
    let template = Template::from_entity(&entity).unwrap();
    let client =
        Scaffolder::with_token(&url, Some(Secret::new(token)), Duration::from_secs(60)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dry = rt
        .block_on(client.dry_run(
            &template,
            params.as_object().unwrap(),
            &serde_json::Map::new(),
            &[],
        ))
        .unwrap();
    let ctx = Val::from(&json!({"parameters": params}));
    let mut failures = Vec::new();
    for (i, expr) in EXPRESSIONS.iter().enumerate() {
        let id = format!("e{i}");
        let server = dry.log.iter().find_map(|e| match e {
            RunEvent::Log {
                step: Some(s),
                line,
            } if *s == id => line
                .strip_prefix("info: «")
                .and_then(|l| l.strip_suffix('»'))
                .map(str::to_string),
            _ => None,
        });
        let local = render_str(&format!("«{expr}»"), &ctx, Syntax::default())
            .map(|s| s.trim_start_matches('«').trim_end_matches('»').to_string());
        match (server, local) {
            (Some(s), Ok(l)) if s == l => {}
            (s, l) => failures.push(format!("{expr}\n  server: {s:?}\n  local:  {l:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        EXPRESSIONS.len(),
        failures.join("\n")
    );
}
