//! A built TechDocs page (MkDocs HTML) back to Markdown, so it renders like
//! a local page. Only the article (`md-content__inner`) is kept; header,
//! nav, footer, scripts, styles and the `¶` permalinks are dropped. A small
//! tolerant tokenizer: unknown tags are ignored, their text kept.

/// Convert a page; the result is plain Markdown (not yet sanitized).
pub fn to_markdown(html: &str) -> String {
    let body = article(html);
    let mut c = Converter::default();
    c.run(body);
    c.finish()
}

/// The `<article class="md-content__inner …">` element, else `<article>`,
/// else `<body>`, else everything.
fn article(html: &str) -> &str {
    let lower = html.to_ascii_lowercase();
    let start = lower
        .find("md-content__inner")
        .and_then(|i| lower[..i].rfind('<'))
        .or_else(|| lower.find("<article"))
        .or_else(|| lower.find("<body"));
    let Some(start) = start else { return html };
    let open_end = lower[start..]
        .find('>')
        .map_or(html.len(), |i| start + i + 1);
    let end = ["</article>", "</body>"]
        .iter()
        .filter_map(|t| lower[open_end..].rfind(t).map(|i| open_end + i))
        .min()
        .unwrap_or(html.len());
    &html[open_end..end]
}

#[derive(Default)]
struct Converter {
    out: String,
    /// Current inline text of a block being built.
    line: String,
    lists: Vec<(bool, usize)>,
    pre: usize,
    skip: usize,
    headerlink: usize,
    links: Vec<String>,
    quote: usize,
    table: Option<Table>,
    /// The language of the next code block (from its wrapper).
    lang: Option<String>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: Option<String>,
    header_rows: usize,
    in_head: bool,
}

impl Converter {
    fn run(&mut self, html: &str) {
        let mut rest = html;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix("<!--") {
                rest = after.find("-->").map_or("", |i| &after[i + 3..]);
                continue;
            }
            if rest.starts_with('<') {
                if let Some(end) = rest.find('>') {
                    let tag = &rest[1..end];
                    rest = &rest[end + 1..];
                    let consumed = self.tag(tag, rest);
                    rest = &rest[consumed..];
                    continue;
                }
            }
            let end = rest.find('<').unwrap_or(rest.len()).max(1);
            let end = (0..=end)
                .rev()
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(rest.len());
            let text = decode(&rest[..end]);
            rest = &rest[end..];
            self.text(&text);
        }
    }

    fn text(&mut self, text: &str) {
        if self.skip > 0 || self.headerlink > 0 {
            return;
        }
        if self.pre > 0 {
            self.line.push_str(text);
            return;
        }
        let mut collapsed = String::new();
        let mut space = self.line.ends_with(' ') || self.line.is_empty();
        for ch in text.chars() {
            if ch.is_whitespace() {
                if !space {
                    collapsed.push(' ');
                    space = true;
                }
            } else {
                if matches!(
                    ch,
                    '*' | '_' | '`' | '[' | ']' | '<' | '>' | '\\' | '|' | '#'
                ) {
                    collapsed.push('\\');
                }
                collapsed.push(ch);
                space = false;
            }
        }
        match &mut self.table {
            Some(Table {
                cell: Some(cell), ..
            }) => cell.push_str(&collapsed),
            _ => self.line.push_str(&collapsed),
        }
    }

    fn push_inline(&mut self, s: &str) {
        if self.skip > 0 || self.headerlink > 0 {
            return;
        }
        match &mut self.table {
            Some(Table {
                cell: Some(cell), ..
            }) => cell.push_str(s),
            _ => self.line.push_str(s),
        }
    }

    /// End the current block: write the line with the right prefix.
    fn flush(&mut self) {
        let text = std::mem::take(&mut self.line);
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        let quote = "> ".repeat(self.quote.min(super::MAX_NESTING));
        self.out.push_str(&quote);
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.flush();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    /// Handle a tag; returns how many bytes of `rest` it consumed (raw text
    /// elements swallow their content).
    fn tag(&mut self, tag: &str, rest: &str) -> usize {
        let closing = tag.starts_with('/');
        let body = tag.trim_start_matches('/').trim_end_matches('/');
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let attr = |key: &str| attribute(body, key);
        match (name.as_str(), closing) {
            ("script" | "style" | "template", false) => {
                let close = format!("</{name}");
                return rest.to_ascii_lowercase().find(&close).unwrap_or(rest.len());
            }
            ("nav" | "header" | "footer" | "svg" | "button" | "form", false) => self.skip += 1,
            ("nav" | "header" | "footer" | "svg" | "button" | "form", true) => {
                self.skip = self.skip.saturating_sub(1)
            }
            _ if self.skip > 0 => {}
            // Inside code only the code's text counts (Material adds
            // line-number anchors and highlighting spans there).
            (n, _) if self.pre > 0 && !matches!(n, "pre" | "code" | "br") => {}
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                self.blank();
                let level: usize = name[1..].parse().unwrap_or(1);
                self.line.push_str(&"#".repeat(level));
                self.line.push(' ');
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => self.blank(),
            ("div", false) if attr("class").is_some_and(|c| c.contains("language-")) => {
                // Material: <div class="language-python highlight"><pre>…
                self.lang = attr("class").and_then(|c| language(&c));
                self.blank();
            }
            ("p" | "div" | "section" | "dl" | "figure", _) => {
                if self.lists.is_empty() {
                    self.blank()
                } else {
                    self.flush()
                }
            }
            ("br", _) => {
                if self.pre > 0 {
                    self.line.push('\n');
                } else {
                    self.push_inline("  \n");
                }
            }
            ("hr", _) => {
                self.blank();
                self.out.push_str("---\n\n");
            }
            ("pre", false) => {
                self.blank();
                self.pre += 1;
                let lang = attribute(body, "class")
                    .and_then(|c| language(&c))
                    .or_else(|| self.lang.take())
                    .unwrap_or_default();
                self.out.push_str(&format!("```{lang}\n"));
            }
            ("pre", true) => {
                self.pre = self.pre.saturating_sub(1);
                let code = std::mem::take(&mut self.line);
                let code = code.trim_end_matches('\n');
                // A fence longer than any run of backticks inside.
                self.out.push_str(code);
                self.out.push_str("\n```\n\n");
            }
            ("code", false) if self.pre > 0 => {
                // MkDocs puts the language on the <code> inside <pre>.
                let lang = attribute(body, "class").and_then(|c| {
                    c.split_whitespace()
                        .find_map(|w| w.strip_prefix("language-").map(str::to_string))
                });
                if let Some(lang) = lang {
                    if self.line.is_empty() && self.out.ends_with("```\n") {
                        self.out.truncate(self.out.len() - 1);
                        self.out.push_str(&lang);
                        self.out.push('\n');
                    }
                }
            }
            ("code", false) => self.push_inline("`"),
            ("code", true) if self.pre == 0 => self.push_inline("`"),
            ("strong" | "b", _) => self.push_inline("**"),
            ("em" | "i", _) => self.push_inline("*"),
            ("del" | "s", _) => self.push_inline("~~"),
            ("a", false) => {
                let class = attr("class").unwrap_or_default();
                if class.split_whitespace().any(|c| c == "headerlink") {
                    self.headerlink += 1;
                    self.links.push(String::new());
                } else {
                    let href = attr("href").unwrap_or_default();
                    self.links.push(href);
                    self.push_inline("[");
                }
            }
            ("a", true) => {
                if self.headerlink > 0 {
                    self.headerlink -= 1;
                    self.links.pop();
                } else if let Some(href) = self.links.pop() {
                    let href = href.replace(' ', "%20").replace(')', "%29");
                    self.push_inline(&format!("]({href})"));
                }
            }
            ("img", _) => {
                let alt = attr("alt").unwrap_or_default().replace([']', '['], "");
                let src = attr("src").unwrap_or_default().replace(' ', "%20");
                self.push_inline(&format!("![{alt}]({src})"));
            }
            ("ul" | "ol", false) => {
                self.flush();
                if self.lists.is_empty() {
                    self.blank();
                }
                self.lists.push((name == "ol", 0));
            }
            ("ul" | "ol", true) => {
                self.flush();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.blank();
                }
            }
            ("li", false) => {
                self.flush();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some((true, n)) => {
                        *n += 1;
                        format!("{n}. ")
                    }
                    _ => "- ".to_string(),
                };
                // Deeper lists are drawn at the deepest indentation: 200k
                // nested lists must not make a quadratic page.
                self.line
                    .push_str(&"  ".repeat(depth.min(super::MAX_NESTING) * 2));
                self.line.push_str(&marker);
            }
            ("li", true) => self.flush(),
            ("dt", false) => self.flush(),
            ("dd", false) => {
                self.flush();
                self.line.push_str(": ");
            }
            ("blockquote", false) => {
                self.blank();
                self.quote += 1;
            }
            ("blockquote", true) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
                self.blank();
            }
            ("table", false) => {
                self.blank();
                self.table = Some(Table::default());
            }
            ("thead", false) => {
                if let Some(t) = &mut self.table {
                    t.in_head = true;
                }
            }
            ("thead", true) => {
                if let Some(t) = &mut self.table {
                    t.in_head = false;
                    t.header_rows = t.rows.len();
                }
            }
            ("tr", false) => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            ("td" | "th", false) => {
                if let Some(t) = &mut self.table {
                    if t.rows.is_empty() {
                        t.rows.push(Vec::new());
                    }
                    if name == "th" && !t.in_head && t.header_rows == 0 && t.rows.len() == 1 {
                        t.in_head = true;
                    }
                    t.cell = Some(String::new());
                }
            }
            ("td" | "th", true) => {
                if let Some(t) = &mut self.table {
                    if let Some(cell) = t.cell.take() {
                        if let Some(row) = t.rows.last_mut() {
                            row.push(cell.trim().replace('\n', " "));
                        }
                    }
                }
            }
            ("table", true) => {
                if let Some(t) = self.table.take() {
                    self.out.push_str(&table_markdown(&t));
                    self.out.push('\n');
                }
            }
            _ => {}
        }
        0
    }

    fn finish(mut self) -> String {
        self.flush();
        let mut out = self.out.trim_end().to_string();
        out.push('\n');
        out
    }
}

fn table_markdown(t: &Table) -> String {
    let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return String::new();
    }
    let mut out = String::new();
    let row_line = |row: &[String]| {
        let mut s = String::from("|");
        for i in 0..cols {
            s.push(' ');
            s.push_str(row.get(i).map(String::as_str).unwrap_or(""));
            s.push_str(" |");
        }
        s.push('\n');
        s
    };
    // Markdown tables need a header row; an HTML table without one gets an
    // empty header.
    let (head, body) = if t.header_rows > 0 || t.in_head {
        (t.rows[0].clone(), &t.rows[1..])
    } else {
        (vec![String::new(); cols], &t.rows[..])
    };
    out.push_str(&row_line(&head));
    out.push('|');
    out.push_str(&" --- |".repeat(cols));
    out.push('\n');
    for row in body {
        out.push_str(&row_line(row));
    }
    out
}

/// `python` from a class list with `language-python`.
fn language(class: &str) -> Option<String> {
    class
        .split_whitespace()
        .find_map(|w| w.strip_prefix("language-").map(str::to_string))
}

/// The value of `key="…"` (or `'…'`, or bare) in a tag's text, decoded.
fn attribute(tag: &str, key: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(key) {
        let at = from + i;
        from = at + key.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or(""),
        };
        return Some(decode(value));
    }
    None
}

/// Decode HTML character references: every HTML5 named entity and numeric
/// references; unknown or malformed ones stay as written.
pub fn decode(s: &str) -> String {
    html_escape::decode_html_entities(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mkdocs_article_becomes_markdown() {
        let html = r##"<html><head><title>T</title><script>alert(1)</script></head><body>
<header>Site header</header><nav>Menu</nav>
<article class="md-content__inner md-typeset">
<h1 id="tui-web">TUI Web<a class="headerlink" href="#tui-web" title="Permanent link">&para;</a></h1>
<p>Some <strong>bold</strong> &amp; <code>code</code> text, see <a href="guide/index.html">the guide</a>.</p>
<ul><li>One</li><li>Two <em>2</em></li></ul>
<pre><code class="language-sh">kubectl get pods &gt; out
echo done</code></pre>
<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>1</td><td>x | y</td></tr></tbody></table>
<p><img alt="Logo" src="img/logo.png"></p>
</article><footer>Made with MkDocs</footer></body></html>"##;
        let md = to_markdown(html);
        assert!(md.starts_with("# TUI Web\n"), "{md}");
        assert!(!md.contains('¶') && !md.contains("Menu") && !md.contains("alert"));
        assert!(!md.contains("Made with"), "{md}");
        assert!(
            md.contains("Some **bold** & `code` text, see [the guide](guide/index.html)."),
            "{md}"
        );
        assert!(md.contains("- One\n- Two *2*\n"), "{md}");
        assert!(
            md.contains("```sh\nkubectl get pods > out\necho done\n```"),
            "{md}"
        );
        assert!(
            md.contains("| A | B |\n| --- | --- |\n| 1 | x \\| y |"),
            "{md}"
        );
        assert!(md.contains("![Logo](img/logo.png)"), "{md}");
    }

    #[test]
    fn material_code_blocks_keep_only_their_text() {
        let html = r##"<article class="md-content__inner"><div class="language-python highlight"><pre><span></span><code><a id="__codelineno-0-1" name="__codelineno-0-1" href="#__codelineno-0-1"></a><span class="k">def</span> <em>f</em>():
<a id="__codelineno-0-2" href="#__codelineno-0-2"></a>    <span class="k">return</span> 1 &lt; 2
</code></pre></div></article>"##;
        let md = to_markdown(html);
        assert_eq!(md, "```python\ndef f():\n    return 1 < 2\n```\n", "{md}");
    }

    #[test]
    fn entities_and_garbage_do_not_panic() {
        assert_eq!(
            decode("a &lt;b&gt; &#x41;&#66; &bogus; &"),
            "a <b> AB &bogus; &"
        );
        for junk in [
            "<",
            "<<>>",
            "<a href=",
            "<pre>",
            "</ul></ol>",
            "&#xFFFFFFFF;",
            "é<b>ü",
        ] {
            let _ = to_markdown(junk);
        }
    }

    #[test]
    fn named_entities_come_from_the_full_html5_table() {
        assert_eq!(decode("a &rarr; b&hellip;"), "a \u{2192} b\u{2026}");
        assert_eq!(
            decode("&#x2192;&#8594;&#X2192;"),
            "\u{2192}\u{2192}\u{2192}"
        );
        assert_eq!(
            decode("&nbsp;&copy;&para;&mdash;"),
            "\u{a0}\u{a9}\u{b6}\u{2014}"
        );
        // Unknown names, a missing `;` and escaped entities stay as written.
        assert_eq!(
            decode("&notanentity; &rarr &amp;rarr; AT&T"),
            "&notanentity; &rarr &rarr; AT&T"
        );
        assert_eq!(
            to_markdown("<p>next &rarr; page</p>").trim(),
            "next \u{2192} page"
        );
    }

    #[test]
    fn deeply_nested_lists_convert_in_linear_size() {
        let n = 200_000;
        let html = format!(
            "<article>{}x{}</article>",
            "<ul><li>".repeat(n),
            "</li></ul>".repeat(n)
        );
        let started = std::time::Instant::now();
        let md = to_markdown(&html);
        assert!(md.len() < 200 * n, "{} bytes", md.len());
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}
