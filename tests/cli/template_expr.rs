//! The expression engine against a table of cases: lookups, filters,
//! operators, blocks, the scaffolder filters, and errors.

use callboard_core::template::expr::{render_str, render_value, Syntax, Val};
use serde_json::{json, Value};

fn context() -> Val {
    Val::from(json!({
        "parameters": {
            "name": "Payments-API",
            "owner": "group:default/team-a",
            "bare": "team-b",
            "repoUrl": "github.com?repo=x&owner=y",
            "gitlab": "gitlab.example.com?owner=grp&repo=svc&project=p",
            "count": 3,
            "ratio": 0.5,
            "flag": true,
            "off": false,
            "empty": "",
            "tags": ["a", "b", "c"],
            "nested": {"deep": {"value": 42}},
            "text": "line one\nline two",
            "html": "<b>bold</b> & 'q'",
            "nothing": null
        },
        "steps": {"fetch": {"output": {"remoteUrl": "https://git/x", "files": 2}}},
        "user": {"entity": {"metadata": {"name": "jo"}}, "ref": "user:default/jo"},
        "each": {"key": "0", "value": {"name": "svc-a"}},
        "values": {"name": "demo", "description": "Line \"quoted\"", "list": [1, 2]},
        "secrets": {"token": "s3cret"}
    }))
}

fn render(src: &str) -> Result<String, String> {
    render_str(src, &context(), Syntax::default()).map_err(|e| e.to_string())
}

#[test]
fn expression_table() {
    let cases: &[(&str, &str)] = &[
        // Lookups.
        ("${{ parameters.name }}", "Payments-API"),
        ("${{parameters.name}}", "Payments-API"),
        ("${{ parameters['name'] }}", "Payments-API"),
        ("${{ parameters.tags[1] }}", "b"),
        ("${{ parameters.tags }}", "a,b,c"),
        ("${{ parameters.nested.deep.value }}", "42"),
        ("${{ parameters.missing }}", ""),
        ("${{ parameters.missing.deeper }}", ""),
        ("${{ parameters.nothing }}", ""),
        ("${{ parameters.nested }}", "[object Object]"),
        ("${{ parameters.name.length }}", "12"),
        ("${{ steps.fetch.output.remoteUrl }}", "https://git/x"),
        ("${{ steps['fetch'].output.files }}", "2"),
        ("${{ user.entity.metadata.name }}", "jo"),
        ("${{ user.ref }}", "user:default/jo"),
        ("${{ each.key }}:${{ each.value.name }}", "0:svc-a"),
        ("${{ secrets.token }}", "s3cret"),
        ("a ${{ parameters.count }} b", "a 3 b"),
        ("${{ parameters.ratio }}", "0.5"),
        ("${{ parameters.flag }}", "true"),
        // Operators.
        ("${{ parameters.count + 1 }}", "4"),
        ("${{ parameters.count * 2 - 1 }}", "5"),
        ("${{ 7 / 2 }}", "3.5"),
        ("${{ 7 // 2 }}", "3"),
        ("${{ 7 % 4 }}", "3"),
        ("${{ 2 ** 10 }}", "1024"),
        ("${{ 'a' + 1 }}", "a1"),
        ("${{ parameters.name ~ '-' ~ parameters.count }}", "Payments-API-3"),
        ("${{ parameters.missing ~ 'x' }}", "undefinedx"),
        ("${{ parameters.count == '3' }}", "true"),
        ("${{ parameters.count === '3' }}", "false"),
        ("${{ parameters.count != 4 }}", "true"),
        ("${{ parameters.count > 2 and parameters.count < 4 }}", "true"),
        ("${{ parameters.off or 'fallback' }}", "fallback"),
        ("${{ not parameters.flag }}", "false"),
        ("${{ 'b' in parameters.tags }}", "true"),
        ("${{ 'z' not in parameters.tags }}", "true"),
        ("${{ 'API' in parameters.name }}", "true"),
        ("${{ 'yes' if parameters.flag else 'no' }}", "yes"),
        ("${{ 'yes' if parameters.off else 'no' }}", "no"),
        ("${{ 'yes' if parameters.off }}", ""),
        ("${{ parameters.missing is defined }}", "false"),
        ("${{ parameters.name is string }}", "true"),
        ("${{ parameters.count is not number }}", "false"),
        ("${{ -parameters.count | abs }}", "3"),
        ("${{ [1, 2][0] }}", "1"),
        ("${{ {a: 1, 'b': 2}.b }}", "2"),
        // Nunjucks built-in filters.
        ("${{ parameters.name | lower }}", "payments-api"),
        ("${{ parameters.name | upper }}", "PAYMENTS-API"),
        ("${{ parameters.name | replace('-', '_') }}", "Payments_API"),
        ("${{ 'a-b-c' | replace('-', '') }}", "abc"),
        ("${{ 'a-b-c' | replace('-', '+', 1) }}", "a+b-c"),
        ("${{ values.description | dump }}", "\"Line \\\"quoted\\\"\""),
        ("${{ values.list | dump }}", "[1,2]"),
        ("${{ parameters.nested | dump }}", "{\"deep\":{\"value\":42}}"),
        ("${{ parameters.nested | dump(2) }}", "{\n  \"deep\": {\n    \"value\": 42\n  }\n}"),
        ("${{ parameters.missing | dump }}", ""),
        ("${{ parameters.missing | default('dflt') }}", "dflt"),
        ("${{ parameters.empty | default('dflt') }}", ""),
        ("${{ parameters.empty | default('dflt', true) }}", "dflt"),
        ("${{ parameters.empty | d('x', true) }}", "x"),
        ("${{ parameters.tags | join('/') }}", "a/b/c"),
        ("${{ parameters.tags | join }}", "abc"),
        ("${{ parameters.tags.join() }}", "a,b,c"),
        ("${{ parameters.tags | length }}", "3"),
        ("${{ parameters.tags | first }}-${{ parameters.tags | last }}", "a-c"),
        ("${{ parameters.tags | reverse | join('') }}", "cba"),
        ("${{ ['b', 'C', 'a'] | sort | join(',') }}", "a,b,C"),
        ("${{ '  pad  ' | trim }}", "pad"),
        ("${{ 'hello world' | title }}", "Hello World"),
        ("${{ 'hELLO' | capitalize }}", "Hello"),
        ("${{ '42abc' | int + 1 }}", "43"),
        ("${{ 'x' | int(7) }}", "7"),
        ("${{ '2.5' | float * 2 }}", "5"),
        ("${{ 2.567 | round(2) }}", "2.57"),
        ("${{ 2.5 | round }}", "3"),
        ("${{ parameters.text | indent(2) }}", "line one\n  line two"),
        ("${{ parameters.text | indent(2, true) }}", "  line one\n  line two"),
        ("${{ parameters.html | escape }}", "&lt;b&gt;bold&lt;/b&gt; &amp; &#39;q&#39;"),
        ("${{ parameters.html | safe }}", "<b>bold</b> & 'q'"),
        ("${{ parameters.html | striptags }}", "bold & 'q'"),
        ("${{ 'a b&c' | urlencode }}", "a%20b%26c"),
        ("${{ 'one two three' | wordcount }}", "3"),
        ("${{ 'abcdefghij' | truncate(5, true) }}", "abcde..."),
        ("${{ [1, 2, 3] | sum }}", "6"),
        ("${{ parameters.count | string ~ '!' }}", "3!"),
        ("${{ 'x' | center(5) }}", "  x  "),
        ("${{ [1,2,3,4,5] | batch(2) | length }}", "3"),
        ("${{ parameters.name.split('-')[1] }}", "API"),
        ("${{ parameters.name.toLowerCase() }}", "payments-api"),
        // Scaffolder filters.
        ("${{ parameters.repoUrl | parseRepoUrl | dump }}", "{\"host\":\"github.com\",\"owner\":\"y\",\"repo\":\"x\"}"),
        ("${{ (parameters.repoUrl | parseRepoUrl).owner }}", "y"),
        ("${{ parameters.repoUrl | parseRepoUrl | pick('repo') }}", "x"),
        ("${{ parameters.gitlab | parseRepoUrl | dump }}", "{\"host\":\"gitlab.example.com\",\"owner\":\"grp\",\"repo\":\"svc\",\"project\":\"p\"}"),
        ("${{ parameters.repoUrl | projectSlug }}", "y/x"),
        ("${{ parameters.owner | parseEntityRef | dump }}", "{\"kind\":\"group\",\"namespace\":\"default\",\"name\":\"team-a\"}"),
        ("${{ parameters.owner | parseEntityRef | pick('name') }}", "team-a"),
        ("${{ parameters.bare | parseEntityRef({ defaultKind: 'group', defaultNamespace: 'other' }) | dump }}",
         "{\"kind\":\"group\",\"namespace\":\"other\",\"name\":\"team-b\"}"),
        ("${{ 'user:jo' | parseEntityRef | pick('namespace') }}", "default"),
        ("${{ parameters | pick('nested.deep.value') }}", "42"),
        // Blocks.
        ("{% if parameters.flag %}on{% else %}off{% endif %}", "on"),
        ("{% if parameters.off %}a{% elif parameters.count == 3 %}b{% else %}c{% endif %}", "b"),
        ("{% for t in parameters.tags %}${{ loop.index }}${{ t }}{% if not loop.last %},{% endif %}{% endfor %}", "1a,2b,3c"),
        ("{% for k, v in parameters.nested.deep %}${{ k }}=${{ v }}{% endfor %}", "value=42"),
        ("{% for x in parameters.missing %}x{% else %}none{% endfor %}", "none"),
        ("{% set greeting = 'hi ' ~ parameters.count %}${{ greeting }}", "hi 3"),
        ("{% raw %}${{ not.rendered }}{% endraw %}", "${{ not.rendered }}"),
        ("a{# comment #}b", "ab"),
        ("{{ plain braces }}", "{{ plain braces }}"),
        ("x:\n  {%- if parameters.flag %}\n  y: 1\n  {%- endif %}\nz", "x:\n  y: 1\nz"),
        ("a   ${{- parameters.count -}}   b", "a3b"),
        ("{% for i in range(3) %}${{ i }}{% endfor %}", "012"),
    ];
    let mut failures = Vec::new();
    for (src, want) in cases {
        match render(src) {
            Ok(got) if got == *want => {}
            other => failures.push(format!("{src:?}: want {want:?}, got {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_name_the_expression() {
    let cases: &[(&str, &str)] = &[
        (
            "${{ parameters.name | nosuchfilter }}",
            "filter not found: nosuchfilter",
        ),
        ("${{ parameters.name | }}", "expected a filter name"),
        ("${{ parameters.name", "unclosed tag"),
        ("${{ (1 + 2 }}", "expected `)`"),
        ("${{ 1 +* 2 }}", "unexpected `*`"),
        ("{% if x %}open", "without `{% endif %}`"),
        ("{% endif %}", "unexpected"),
        ("{% frobnicate %}", "unknown block tag"),
        ("${{ 'team' | parseEntityRef }}", "missing or empty kind"),
        ("${{ 'github.com?owner=y' | parseRepoUrl }}", "missing repo"),
        ("${{ 'github.com?repo=x' | parseRepoUrl }}", "missing owner"),
        (
            "${{ nothing.here() }}",
            "\"nothing.here\" resolved to undefined",
        ),
        ("${{ 'unterminated }}", "unclosed tag"),
    ];
    // Hostile nesting is an error, not a stack overflow.
    let deep = format!("${{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    assert!(render(&deep).unwrap_err().contains("nested too deeply"));
    let nots = format!("${{{{ {}x }}}}", "not ".repeat(5000));
    assert!(render(&nots).unwrap_err().contains("nested too deeply"));
    let negs = format!("${{{{ {}1 }}}}", "-".repeat(5000));
    assert!(render(&negs).unwrap_err().contains("nested too deeply"));
    let blocks = "{% if true %}".repeat(500) + &"{% endif %}".repeat(500);
    assert!(render(&blocks).unwrap_err().contains("nested too deeply"));
    assert_eq!(
        render("${{ 'x' | center(1000000000000) }}").unwrap().len(),
        10_000
    );
    let chain = format!("${{{{ 1{} }}}}", " + 1".repeat(100_000));
    assert!(render(&chain).unwrap_err().contains("too long"));
    let filters = format!("${{{{ 'x'{} }}}}", " | upper".repeat(100_000));
    assert!(render(&filters).unwrap_err().contains("too long"));
    assert_eq!(
        render(&format!("${{{{ 1{} }}}}", " + 1".repeat(90))).unwrap(),
        "91"
    );
    for (src, want) in cases {
        let e = render(src).expect_err(src);
        assert!(e.contains(want), "{src:?}: {e:?} lacks {want:?}");
        // The message quotes the template so a user can find it.
        assert!(e.contains(src.trim()), "{src:?}: {e:?} does not quote it");
    }
}

#[test]
fn cookiecutter_mode_uses_plain_braces_and_jsonify() {
    let ctx = Val::from(json!({"cookiecutter": {"name": "docs", "d": "a \"b\""}}));
    let syntax = Syntax {
        cookiecutter: true,
        ..Syntax::default()
    };
    let out = render_str(
        "name: {{cookiecutter.name | jsonify}}\nd: {{ cookiecutter.d | jsonify }}\n${{ x }}",
        &ctx,
        syntax,
    )
    .unwrap();
    assert_eq!(out, "name: \"docs\"\nd: \"a \\\"b\\\"\"\n$");
}

#[test]
fn trim_and_lstrip_blocks() {
    let ctx = context();
    let src = "a\n    {% if parameters.flag %}\nb\n    {% endif %}\nc\n";
    let plain = render_str(src, &ctx, Syntax::default()).unwrap();
    assert_eq!(plain, "a\n    \nb\n    \nc\n");
    let trimmed = render_str(
        src,
        &ctx,
        Syntax {
            trim_blocks: true,
            lstrip_blocks: true,
            ..Syntax::default()
        },
    )
    .unwrap();
    assert_eq!(trimmed, "a\nb\nc\n");
}

#[test]
fn step_input_rendering_keeps_types_and_drops_undefined() {
    let ctx = context();
    let input = json!({
        "count": "${{ parameters.count }}",
        "flag": "${{ parameters.flag }}",
        "tags": "${{ parameters.tags }}",
        "nested": "${{ parameters.nested }}",
        "missing": "${{ parameters.missing }}",
        "empty": "${{ parameters.empty }}",
        "mixed": "n=${{ parameters.count }}",
        "mixedEmpty": "${{ parameters.empty }}${{ parameters.missing }} ",
        "mixedNothing": "${{ parameters.empty }}${{ parameters.missing }}",
        "literal": 5,
        "list": ["${{ parameters.count }}", "x-${{ each.key }}", "${{ parameters.missing }}"],
        "${{ keys.are.not.rendered }}": "k"
    });
    let out = render_value(&input, &ctx).unwrap().unwrap();
    let want: Value = json!({
        "count": 3,
        "flag": true,
        "tags": ["a", "b", "c"],
        "nested": {"deep": {"value": 42}},
        "empty": "",
        "mixed": "n=3",
        "mixedEmpty": " ",
        "mixedNothing": "",
        "literal": 5,
        "list": [3, "x-0", null],
        "${{ keys.are.not.rendered }}": "k"
    });
    assert_eq!(out, want);
    assert!(!out.as_object().unwrap().contains_key("missing"));
}

/// The bounds keep the worst accepted input well inside a 1 MiB stack
/// (worker threads get 2 MiB), in an unoptimised build.
#[test]
fn worst_accepted_nesting_fits_a_small_stack() {
    let worst_chain = format!("${{{{ 1{} }}}}", " + 1".repeat(100));
    let parens = format!("${{{{ {}1{} }}}}", "(".repeat(20), ")".repeat(20));
    let blocks = format!(
        "{}{}{}",
        "{% if true %}".repeat(20),
        parens,
        "{% endif %}".repeat(20)
    );
    let handle = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || {
            let ctx = Val::from(json!({}));
            (
                render_str(&worst_chain, &ctx, Syntax::default()),
                render_str(&blocks, &ctx, Syntax::default()),
            )
        })
        .unwrap();
    let (chain, blocks) = handle.join().expect("no stack overflow");
    assert_eq!(chain.unwrap(), "101");
    assert_eq!(blocks.unwrap(), "1");
}
