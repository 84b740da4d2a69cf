//! `callboard template show NAME [--json]`: what a script author needs
//! before `template run --set`: every parameter per page with its type,
//! whether it is required, its default, its allowed values (with their
//! display names), pattern, format, bounds and description, and the fields
//! that only appear once other values are chosen.

use std::io::Write;

use anyhow::Result;
use serde_json::{json, Map, Value};

use callboard_core::template::schema::{self, Field, FieldKind, PickerKind, Widget};
use callboard_io::template::catalog::catalog_templates;

use super::template::{find_local_template, usage};
use crate::cli::exit::EXIT_OK;
use crate::cli::json::print_json;
use crate::cli::output::clean;
use crate::cli::session::Session;

/// What `--set` takes for a field, in words.
pub fn input_kind(f: &Field) -> String {
    if schema::is_form_state(&f.key()) {
        return "the page's options (oneOf): give the fields of exactly one of them, not this key"
            .into();
    }
    match &f.kind {
        FieldKind::Text => "text".into(),
        FieldKind::Number => "number".into(),
        FieldKind::Integer => "integer".into(),
        FieldKind::Boolean => "boolean (true/false/yes/no/on/off/1/0)".into(),
        FieldKind::Choice => "one of the values below".into(),
        FieldKind::MultiChoice => "list of the values below (JSON list or comma-separated)".into(),
        FieldKind::StringList => "list of text (JSON list or comma-separated)".into(),
        FieldKind::Object => "object (its fields follow)".into(),
        FieldKind::Json => "JSON".into(),
        FieldKind::ObjectList => "JSON list of objects (the item fields below)".into(),
        FieldKind::Picker(p) => match p {
            PickerKind::RepoUrl => "repository URL (host?owner=o&repo=r)".into(),
            PickerKind::EntityTags => "list of tags (JSON list or comma-separated)".into(),
            PickerKind::MultiEntity => "list of entity refs".into(),
            PickerKind::EntityName => "entity name".into(),
            _ => "entity ref".into(),
        },
    }
}

fn field_json(page: usize, f: &Field, shown: bool) -> Value {
    let s = &f.schema;
    let mut o = Map::new();
    o.insert("key".into(), json!(f.key()));
    o.insert("page".into(), json!(page + 1));
    o.insert("title".into(), json!(f.title));
    o.insert("type".into(), s.get("type").cloned().unwrap_or(Value::Null));
    o.insert("input".into(), json!(input_kind(f)));
    o.insert("required".into(), json!(f.required));
    o.insert("conditional".into(), json!(!shown));
    for (k, v) in [
        ("default", s.get("default")),
        (
            "description",
            f.description.as_ref().map(|d| json!(d)).as_ref(),
        ),
        ("pattern", s.get("pattern")),
        ("format", s.get("format")),
        ("minimum", s.get("minimum")),
        ("maximum", s.get("maximum")),
        ("minLength", s.get("minLength")),
        ("maxLength", s.get("maxLength")),
        ("ui:field", f.ui_field.as_ref().map(|u| json!(u)).as_ref()),
    ] {
        if let Some(v) = v {
            o.insert(k.into(), v.clone());
        }
    }
    if !f.choices.is_empty() {
        o.insert(
            "allowed".into(),
            Value::Array(
                f.choices
                    .iter()
                    .map(|c| json!({"value": c.value, "label": c.label}))
                    .collect(),
            ),
        );
    }
    if f.secret || f.widget == Widget::Password {
        o.insert("secret".into(), json!(true));
    }
    if f.widget == Widget::Hidden {
        o.insert("hidden".into(), json!(true));
    }
    for key in ["allowedHosts", "allowedOwners", "allowedKinds"] {
        let v = f.option_strings(key);
        if !v.is_empty() {
            o.insert(key.into(), json!(v));
        }
    }
    Value::Object(o)
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// The lines describing one field (two-space indented under its page).
fn field_lines(f: &Field, out: &mut Vec<String>) {
    let s = &f.schema;
    let mut head = format!("  {}", f.key());
    if f.required {
        head.push_str(" (required)");
    }
    head.push_str(&format!(" — {}", input_kind(f)));
    out.push(head);
    if f.title != f.key() {
        out.push(format!("      title: {}", f.title));
    }
    if let Some(d) = &f.description {
        out.push(format!("      {}", d.replace('\n', " ")));
    }
    if let Some(d) = s.get("default") {
        out.push(format!("      default: {}", scalar(d)));
    }
    if !f.choices.is_empty() {
        out.push("      allowed (value, or its name):".into());
        for c in &f.choices {
            let value = match &c.value {
                Value::String(v) => v.clone(),
                other => other.to_string(),
            };
            if c.label == value {
                out.push(format!("        {value}"));
            } else {
                out.push(format!("        {value}  \"{}\"", c.label));
            }
        }
    }
    for key in [
        "pattern",
        "format",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
    ] {
        if let Some(v) = s.get(key) {
            out.push(format!("      {key}: {}", scalar(v)));
        }
    }
    for key in ["allowedHosts", "allowedOwners"] {
        let v = f.option_strings(key);
        if !v.is_empty() {
            out.push(format!("      {key}: {}", v.join(", ")));
        }
    }
    if f.kind == FieldKind::ObjectList {
        let required: Vec<&str> = s
            .pointer("/items/required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = s.pointer("/items/properties").and_then(Value::as_object) {
            out.push("      each item:".into());
            for (k, p) in props {
                let ty = p.get("type").and_then(Value::as_str).unwrap_or("any");
                let req = if required.contains(&k.as_str()) {
                    ", required"
                } else {
                    ""
                };
                out.push(format!("        {k} ({ty}{req})"));
            }
        }
    }
    if f.secret {
        out.push("      secret: sent as a secret, never printed".into());
    }
    if f.widget == Widget::Hidden {
        out.push("      hidden in the form".into());
    }
}

pub fn cmd_show(ctx: &Session, name: &str, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.store()?;
    let (templates, _) = catalog_templates(&store);
    let Some(found) = find_local_template(templates, name) else {
        return usage(format!(
            "no template '{name}' in the catalog; `callboard template list` shows them"
        ));
    };
    let t = &found.template;
    let pages = t.parameter_steps();
    // The fields the form shows with the defaults filled in; the others
    // only appear for some values.
    let mut values = Map::new();
    schema::apply_defaults(pages, &mut values);
    let shown = schema::build_steps(pages, &values);
    let all = schema::all_fields(pages);
    let is_shown = |f: &Field| {
        shown
            .iter()
            .any(|p| p.fields.iter().any(|g| g.path == f.path))
    };
    if ctx.json {
        let pages_json: Vec<Value> = shown
            .iter()
            .map(|p| {
                let fields: Vec<Value> = all
                    .iter()
                    .filter(|(i, _)| *i == p.index)
                    .map(|(i, f)| {
                        let visible = p.fields.iter().find(|g| g.path == f.path);
                        field_json(*i, visible.unwrap_or(f), visible.is_some())
                    })
                    .collect();
                json!({"title": p.title, "description": p.description, "fields": fields})
            })
            .collect();
        print_json(
            out,
            &json!({"template": t.entity_ref(), "title": t.title, "description": t.description,
                    "pages": pages_json}),
        )?;
        return Ok(EXIT_OK);
    }
    let mut lines = vec![match &t.title {
        Some(title) => format!("{} — {title}", t.entity_ref()),
        None => t.entity_ref(),
    }];
    if let Some(d) = &t.description {
        lines.push(d.replace('\n', " "));
    }
    for p in &shown {
        lines.push(String::new());
        lines.push(format!("Page {}: {}", p.index + 1, p.title));
        if let Some(d) = &p.description {
            lines.push(format!("  {}", d.replace('\n', " ")));
        }
        for f in &p.fields {
            field_lines(f, &mut lines);
        }
        let later: Vec<&Field> = all
            .iter()
            .filter(|(i, f)| *i == p.index && !is_shown(f))
            .map(|(_, f)| f)
            .collect();
        if !later.is_empty() {
            lines.push("  depending on other values:".into());
            for f in later {
                let mut sub = Vec::new();
                field_lines(f, &mut sub);
                lines.extend(sub.into_iter().map(|l| format!("  {l}")));
            }
        }
    }
    if pages.is_empty() {
        lines.push(String::new());
        lines.push("No parameters.".into());
    }
    lines.push(String::new());
    lines.push(format!(
        "Run: callboard template run {} --set KEY=VALUE … (--dry-run to preview)",
        t.name
    ));
    for l in lines {
        writeln!(out, "{}", clean(&l))?;
    }
    Ok(EXIT_OK)
}
