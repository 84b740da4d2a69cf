//! Drawing the form: the header with the steps, the page's fields (the
//! focused one with its cursor), errors, the focused field's help, the
//! footer, the entity picker pop-up, and the review page.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Clear;
use ratatui::Frame;
use serde_json::Value;

use super::values::plural;
use super::{FormState, PickerPopup, RepoPart, Row};
use crate::screens::Hint;
use crate::theme::Theme;
use crate::widgets::popup::frame_popup;
use crate::widgets::spans::{clean, line_at};
use crate::widgets::status_bar;
use callboard_core::template::schema::{
    display_value, get_path, Field, FieldKind, PickerKind, RepoUrl, Widget,
};
use callboard_core::text;

fn shown_value(form: &FormState, field: &Field, row: Row, focused: bool) -> String {
    if focused
        && !matches!(
            field.kind,
            FieldKind::Boolean | FieldKind::Choice | FieldKind::MultiChoice
        )
    {
        return if field.masked {
            "•".repeat(form.edit.text.chars().count())
        } else {
            form.edit.text.clone()
        };
    }
    let value = get_path(&form.values, &field.path);
    if let Row::Repo(_, part) = row {
        let r = RepoUrl::parse(value.and_then(Value::as_str).unwrap_or(""));
        return match part {
            RepoPart::Host => r.host,
            RepoPart::Owner => r.owner,
            RepoPart::Repo => r.repo,
        };
    }
    match value {
        None => String::new(),
        Some(v) if field.masked => "•".repeat(v.as_str().map_or(8, |s| s.chars().count())),
        Some(v) => display_value(field, v),
    }
}

/// Draw the form (or its review page) into `area`; the last line is left
/// for the footer, which this draws too.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    form: &FormState,
    theme: &Theme,
    message: Option<(&str, bool)>,
) {
    if let Some(editor) = &form.items {
        editor.draw(frame, area, theme);
        return;
    }
    frame.render_widget(Clear, area);
    let pages = form.visible_pages();
    let on_review = form.page >= pages.len();
    // Header: template title and the steps.
    let mut header = vec![
        Span::styled(" Create ", theme.tab_active),
        Span::styled(format!(" {}", clean(&form.title)), theme.title),
    ];
    if !on_review {
        header.push(Span::styled(
            format!("  step {}/{}", form.page + 1, pages.len() + 1),
            theme.dim,
        ));
    }
    line_at(frame, area, area.y, header);
    let mut crumbs = vec![Span::raw(" ")];
    for (i, p) in pages.iter().enumerate() {
        let style = if i == form.page {
            theme.tab_active
        } else {
            theme.tab
        };
        crumbs.push(Span::styled(
            format!(" {} {} ", i + 1, clean(&p.title)),
            style,
        ));
        crumbs.push(Span::raw(" "));
    }
    crumbs.push(Span::styled(
        " Review ",
        if on_review {
            theme.tab_active
        } else {
            theme.tab
        },
    ));
    line_at(frame, area, area.y + 1, crumbs);

    let body = Rect::new(
        area.x,
        area.y + 3,
        area.width,
        area.height.saturating_sub(5),
    );
    let footer_y = area.y + area.height.saturating_sub(1);
    let help_y = area.y + area.height.saturating_sub(2);

    if form.offered_draft.is_some() {
        line_at(
            frame,
            area,
            body.y,
            vec![Span::styled(
                " A draft of this form was saved earlier.".to_string(),
                theme.heading,
            )],
        );
        line_at(
            frame,
            area,
            body.y + 2,
            vec![
                Span::styled(" Enter".to_string(), theme.key),
                Span::styled(" resume the draft   ".to_string(), theme.dim),
                Span::styled("n".to_string(), theme.key),
                Span::styled(" start over   ".to_string(), theme.dim),
                Span::styled("Esc".to_string(), theme.key),
                Span::styled(" leave".to_string(), theme.dim),
            ],
        );
        return;
    }

    if on_review {
        draw_review(frame, body, form, theme);
        let hints = footer_hints(form);
        footer(
            frame,
            area,
            footer_y,
            theme,
            message.or(form.note.as_deref().map(|n| (n, false))),
            &hints,
        );
        return;
    }
    let Some(page) = pages.get(form.page) else {
        return;
    };
    if let Some(desc) = &page.description {
        line_at(
            frame,
            area,
            area.y + 2,
            vec![Span::styled(format!(" {}", clean(desc)), theme.dim)],
        );
    }
    let rows = FormState::rows(page);
    let errors = form.shown_errors();
    let label_w = (area.width as usize / 3).clamp(12, 30);
    // Lay the rows out as lines, then scroll so the focus is visible.
    let mut lines: Vec<(Vec<Span<'static>>, bool)> = Vec::new();
    let mut focus_line = 0;
    for (n, row) in rows.iter().enumerate() {
        let focused = n == form.focus;
        if focused {
            focus_line = lines.len();
        }
        let (index, part) = match row {
            Row::Field(i) | Row::Heading(i) => (*i, None),
            Row::Repo(i, p) => (*i, Some(*p)),
        };
        let field = &page.fields[index];
        let indent = "  ".repeat(field.depth);
        if let Row::Heading(_) = row {
            lines.push((
                vec![Span::styled(
                    format!(" {indent}{}", clean(&field.title)),
                    theme.heading,
                )],
                false,
            ));
            continue;
        }
        let mut label = match part {
            Some(RepoPart::Host) => format!("{} › {}", field.title, RepoPart::Host.label()),
            Some(p) => format!("  › {}", p.label()),
            None => field.title.clone(),
        };
        if field.required && part.is_none_or(|p| p == RepoPart::Host) {
            label.push_str(" *");
        }
        let marker = if focused { "▸" } else { " " };
        let label_text = text::fit(&format!("{indent}{}", clean(&label)), label_w);
        let mut spans = vec![
            Span::styled(marker.to_string(), theme.accent),
            Span::styled(
                format!("{label_text} "),
                if focused { theme.title } else { theme.label },
            ),
        ];
        spans.extend(value_spans(form, field, *row, focused, theme));
        lines.push((spans, focused));
        if field.widget == Widget::Textarea {
            // The other lines of a textarea, indented under the value.
            let value = if focused {
                form.edit.text.clone()
            } else {
                get_path(&form.values, &field.path)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let rows_opt = field
                .options
                .get("rows")
                .and_then(Value::as_u64)
                .unwrap_or(3) as usize;
            let shown_extra = rows_opt.saturating_sub(1).max(1);
            for extra in value.split('\n').skip(1).take(shown_extra) {
                lines.push((
                    vec![Span::raw(format!(
                        " {} {}",
                        " ".repeat(label_w),
                        clean(extra)
                    ))],
                    false,
                ));
            }
            // Lines past the box: say they exist.
            let more = value.split('\n').count().saturating_sub(1 + shown_extra);
            if more > 0 {
                lines.push((
                    vec![Span::styled(
                        format!(
                            " {} … {more} more line{}",
                            " ".repeat(label_w),
                            if more == 1 { "" } else { "s" }
                        ),
                        theme.dim,
                    )],
                    false,
                ));
            }
        }
        let key = field.key();
        if part.is_none_or(|p| p == RepoPart::Host) {
            if let Some(e) = errors.iter().find(|e| e.path == key) {
                lines.push((
                    vec![Span::styled(
                        format!(" {} ✗ {}", " ".repeat(label_w), clean(&e.message)),
                        theme.error,
                    )],
                    false,
                ));
            }
        }
    }
    let height = body.height as usize;
    let offset = (focus_line + 2).saturating_sub(height);
    for (i, (spans, _)) in lines.into_iter().skip(offset).take(height).enumerate() {
        line_at(frame, area, body.y + i as u16, spans);
    }

    // The focused field's description, help or note.
    if let Some((field, _)) = form.focused() {
        let mut help = Vec::new();
        if let Some(d) = &field.description {
            help.push(clean(d));
        }
        if let Some(h) = &field.help {
            help.push(clean(h));
        }
        if field.unknown_field {
            help.push(format!(
                "({} is not supported here: plain input)",
                clean(field.ui_field.as_deref().unwrap_or(""))
            ));
        }
        if let Some(p) = &field.placeholder {
            if form.edit.text.is_empty() {
                help.push(format!("e.g. {}", clean(p)));
            }
        }
        if field.kind == FieldKind::StringList {
            help.push("comma-separated: a, b, c".into());
        }
        if let Some((_, Row::Repo(_, part))) = form.focused() {
            let allowed = field.option_strings(part.allowed_key());
            if !allowed.is_empty() {
                help.push(format!("←/→ choose: {}", clean(&allowed.join(", "))));
            }
        }
        if !help.is_empty() {
            line_at(
                frame,
                area,
                help_y,
                vec![Span::styled(format!(" {}", help.join(" · ")), theme.dim)],
            );
        }
        let hints = footer_hints(form);
        footer(
            frame,
            area,
            footer_y,
            theme,
            message.or(form.note.as_deref().map(|n| (n, false))),
            &hints,
        );
    }
    if let Some(popup) = &form.popup {
        draw_popup(frame, body, popup, form, theme);
    }
}

fn value_spans(
    form: &FormState,
    field: &Field,
    row: Row,
    focused: bool,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let current = get_path(&form.values, &field.path);
    match field.kind {
        FieldKind::Boolean => {
            let on = current.and_then(Value::as_bool).unwrap_or(false);
            vec![Span::styled(
                if on { "[x] yes" } else { "[ ] no" }.to_string(),
                if focused { theme.selection } else { theme.text },
            )]
        }
        FieldKind::Choice if field.widget == Widget::Radio => {
            let mut spans = Vec::new();
            for (i, c) in field.choices.iter().enumerate() {
                let on = current == Some(&c.value);
                // Focused: the cursor (←/→) is highlighted, • marks the
                // selected option (Space).
                spans.push(Span::styled(
                    format!("({}) {}", if on { "•" } else { " " }, clean(&c.label)),
                    if focused && i == form.choice_cursor {
                        theme.selection
                    } else {
                        theme.text
                    },
                ));
                spans.push(Span::raw("  "));
            }
            spans
        }
        FieldKind::Choice => {
            let label = current
                .and_then(|v| field.choices.iter().find(|c| &c.value == v))
                .map(|c| clean(&c.label))
                .unwrap_or_else(|| "—".into());
            vec![Span::styled(
                format!("‹ {label} ›"),
                if focused { theme.selection } else { theme.text },
            )]
        }
        FieldKind::MultiChoice => {
            let picked = current
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut spans = Vec::new();
            for (i, c) in field.choices.iter().enumerate() {
                let on = picked.contains(&c.value);
                spans.push(Span::styled(
                    format!("[{}] {}", if on { "x" } else { " " }, clean(&c.label)),
                    if focused && i == form.choice_cursor {
                        theme.selection
                    } else {
                        theme.text
                    },
                ));
                spans.push(Span::raw(" "));
            }
            spans
        }
        FieldKind::ObjectList => {
            let n = current.and_then(Value::as_array).map_or(0, Vec::len);
            vec![
                Span::styled(
                    format!("{n} item{}", if n == 1 { "" } else { "s" }),
                    if focused { theme.selection } else { theme.text },
                ),
                Span::styled("  ⏎ edit the items".to_string(), theme.dim),
            ]
        }
        FieldKind::Number | FieldKind::Integer if field.widget == Widget::Range => {
            let shown = current.map(|v| v.to_string()).unwrap_or_else(|| "—".into());
            let bound = |k: &str| {
                field
                    .schema
                    .get(k)
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            };
            vec![
                Span::styled("‹ ".to_string(), theme.dim),
                Span::styled(
                    clean(&shown),
                    if focused { theme.selection } else { theme.text },
                ),
                Span::styled(" ›".to_string(), theme.dim),
                Span::styled(
                    format!("  {}–{}", bound("minimum"), bound("maximum")),
                    theme.dim,
                ),
            ]
        }
        _ => {
            let shown = shown_value(form, field, row, focused);
            let first = shown.split('\n').next().unwrap_or("").to_string();
            let mut spans = Vec::new();
            let limited = match row {
                Row::Repo(_, part) => !field.option_strings(part.allowed_key()).is_empty(),
                _ => false,
            };
            if limited {
                spans.push(Span::styled("‹ ".to_string(), theme.dim));
                spans.push(Span::styled(
                    clean(&first),
                    if focused { theme.selection } else { theme.text },
                ));
                spans.push(Span::styled(" ›".to_string(), theme.dim));
                return spans;
            }
            if focused {
                // The cursor as a reversed cell (masked: at the end).
                let text_before: String = if field.masked {
                    first.clone()
                } else {
                    form.edit.text[..form.edit.cursor]
                        .split('\n')
                        .next_back()
                        .unwrap_or("")
                        .to_string()
                };
                let (before, after) = if field.masked || field.widget == Widget::Textarea {
                    (first.clone(), String::new())
                } else {
                    (
                        text_before.clone(),
                        first[text_before.len().min(first.len())..].to_string(),
                    )
                };
                spans.push(Span::raw(clean(&before)));
                let mut rest = after.chars();
                let at = rest
                    .next()
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| " ".into());
                spans.push(Span::styled(clean(&at), theme.selection));
                spans.push(Span::raw(clean(rest.as_str())));
            } else if first.is_empty() {
                spans.push(Span::styled(
                    field
                        .placeholder
                        .as_deref()
                        .map(clean)
                        .unwrap_or_else(|| "—".into()),
                    theme.dim,
                ));
            } else {
                spans.push(Span::raw(clean(&first)));
            }
            if field.picker().is_some_and(|p| p.has_popup()) {
                spans.push(Span::styled("  ⏎ search".to_string(), theme.dim));
            }
            if field.unknown_field {
                spans.push(Span::styled("  (plain input)".to_string(), theme.warn));
            }
            spans
        }
    }
}

/// The form's last row: the message (or the form's note), else `hints`.
fn footer(
    frame: &mut Frame,
    area: Rect,
    y: u16,
    theme: &Theme,
    message: Option<(&str, bool)>,
    hints: &[Hint],
) {
    status_bar::footer(frame, area, y, message, hints, theme);
}

/// The keys the footer offers: on the review page, or for the focused
/// field.
pub(super) fn footer_hints(form: &FormState) -> Vec<Hint> {
    let hints: &[(&str, &'static str)] = if form.on_review() {
        &[
            ("↑/↓", "scroll"),
            ("l", "run locally"),
            ("r", "run on Backstage"),
            ("b", "back"),
            ("Esc", "leave (draft kept)"),
        ]
    } else {
        let focused = form.focused().map(|(f, _)| f);
        let widget = focused.as_ref().map(|f| f.widget);
        match focused.map(|f| f.kind) {
            Some(FieldKind::Choice) if widget == Some(Widget::Radio) => &[
                ("←/→", "move"),
                ("Space", "select"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::Number | FieldKind::Integer) if widget == Some(Widget::Range) => &[
                ("←/→", "adjust"),
                ("↑/↓", "move"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            _ if widget == Some(Widget::Textarea) => &[
                ("Enter", "new line"),
                ("Tab/↓", "next field"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::StringList) => &[
                (",", "separates items"),
                ("Enter", "next field"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::ObjectList) => &[
                ("Enter", "edit the items"),
                ("↑/↓", "move"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::Boolean) => &[
                ("Space", "toggle"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::Choice) => &[
                ("←/→", "choose"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::MultiChoice) => &[
                ("←/→", "move"),
                ("Space", "pick"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            Some(FieldKind::Picker(p)) if p.has_popup() => &[
                ("Enter", "search the catalog"),
                ("↑/↓", "move"),
                ("^N", "next step"),
                ("Esc", "leave"),
            ],
            _ => &[
                ("↑/↓", "move"),
                ("Enter", "next field"),
                ("^N", "next step"),
                ("^P", "back"),
                ("Esc", "leave"),
            ],
        }
    };
    hints.iter().map(|(k, w)| (k.to_string(), *w)).collect()
}

fn draw_review(frame: &mut Frame, body: Rect, form: &FormState, theme: &Theme) {
    let lines = form.review();
    let label_w = (body.width as usize / 3).clamp(12, 30);
    let mut out: Vec<Vec<Span<'static>>> = Vec::new();
    let mut step = String::new();
    for l in &lines {
        if l.step != step {
            step = l.step.clone();
            out.push(vec![Span::styled(format!(" {step}"), theme.heading)]);
        }
        out.push(vec![
            Span::styled(format!("   {} ", text::fit(&l.label, label_w)), theme.label),
            Span::raw(l.value.clone()),
        ]);
    }
    if lines.is_empty() {
        out.push(vec![Span::styled(
            " No values to review.".to_string(),
            theme.dim,
        )]);
    }
    let errors = form.all_errors();
    if !errors.is_empty() {
        out.push(vec![]);
        out.push(vec![Span::styled(
            format!(
                " ✗ {} to fix before running",
                plural(errors.len(), "problem")
            ),
            theme.error,
        )]);
    }
    let hidden = form.hidden_page_errors();
    if !hidden.is_empty() {
        let paths: Vec<String> = hidden.iter().map(|e| clean(&e.path)).collect();
        out.push(vec![]);
        out.push(vec![Span::styled(
            " ! Backstage also checks the pages hidden here; a remote run needs:".to_string(),
            theme.warn,
        )]);
        for chunk in text::wrap(&paths.join(", "), (body.width as usize).saturating_sub(4)) {
            out.push(vec![Span::styled(format!("   {chunk}"), theme.warn)]);
        }
    }
    // Scrolled with ↑/↓, never past the last line.
    let offset = form
        .review_offset
        .min(out.len().saturating_sub(body.height as usize));
    for (i, spans) in out
        .into_iter()
        .skip(offset)
        .take(body.height as usize)
        .enumerate()
    {
        line_at(frame, body, body.y + i as u16, spans);
    }
}

fn draw_popup(frame: &mut Frame, body: Rect, popup: &PickerPopup, form: &FormState, theme: &Theme) {
    let w = body.width.saturating_sub(8).max(20).min(body.width);
    // Sized to the list, so the fields above stay in view when it is short.
    let wanted = popup.matches.len().max(1) + 3 + usize::from(popup.note.is_some());
    let h = (wanted as u16)
        .clamp(5, body.height.saturating_sub(1).max(5))
        .min(body.height);
    let area = Rect::new(
        body.x + (body.width - w) / 2,
        body.y + 1.min(body.height),
        w,
        h,
    );
    let tags = form
        .focused()
        .is_some_and(|(f, _)| f.picker() == Some(PickerKind::EntityTags));
    let title = if tags {
        " Pick tags (Enter adds/removes, Esc done) "
    } else if popup.multi {
        " Pick entities (Enter adds/removes, Esc done) "
    } else {
        " Pick an entity "
    };
    let inner = frame_popup(frame, area, Span::styled(title, theme.title), theme);
    let mut y = inner.y;
    line_at(
        frame,
        inner,
        y,
        vec![
            Span::styled("> ".to_string(), theme.key),
            Span::raw(clean(&popup.query.text)),
            Span::styled(" ".to_string(), theme.selection),
            Span::styled(
                format!("  {}/{}", popup.matches.len(), popup.candidates.len()),
                theme.dim,
            ),
        ],
    );
    y += 1;
    if let Some(note) = &popup.note {
        line_at(frame, inner, y, vec![Span::styled(clean(note), theme.warn)]);
        y += 1;
    }
    let picked: Vec<Value> = get_path(&form.values, &popup.path)
        .map(|v| match v {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        })
        .unwrap_or_default();
    let room = (inner.y + inner.height).saturating_sub(y) as usize;
    let offset = (popup.cursor + 1).saturating_sub(room);
    let corpus = form.corpus.as_deref();
    for (n, &m) in popup.matches.iter().enumerate().skip(offset).take(room) {
        let value = popup.candidates.value(corpus, m).unwrap_or_default();
        let detail = popup.candidates.detail(corpus, m);
        let on = picked.contains(&Value::String(value.clone()));
        let style = if n == popup.cursor {
            theme.selection
        } else {
            theme.text
        };
        let mut spans = vec![Span::styled(
            format!("{}{}", if on { "✓ " } else { "  " }, clean(&value)),
            style,
        )];
        if !detail.is_empty() {
            spans.push(Span::styled(format!("  {}", clean(&detail)), theme.dim));
        }
        line_at(frame, inner, y, spans);
        y += 1;
    }
    if popup.matches.is_empty() {
        line_at(
            frame,
            inner,
            y,
            vec![Span::styled("no match".to_string(), theme.dim)],
        );
    }
}
