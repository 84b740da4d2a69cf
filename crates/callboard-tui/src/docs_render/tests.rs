//! The renderer's tests.

use super::*;

mod rendering {
    use super::*;

    fn render_all(md: &str, width: u16) -> Rendered {
        render(
            md,
            &prepare(md),
            RenderOptions {
                width,
                palette: Palette::Mono,
            },
            None,
        )
    }

    #[test]
    fn outline_links_and_search() {
        let md = "# Title\n\nSee [the runbook](runbook.md#lag) and [web](https://x.example).\n\n## Kafka lag {#lag}\n\ntext\n\n## 2. Other\n\n![Logo](logo.png)\n";
        let r = render_all(md, 80);
        let text = plain_text(&r.lines);
        assert!(text.contains("[img] Logo"), "{text}");
        let titles: Vec<(&str, &str)> = r
            .headings
            .iter()
            .map(|h| (h.title.as_str(), h.anchor.as_str()))
            .collect();
        assert_eq!(
            titles,
            [
                ("Title", "title"),
                ("Kafka lag", "lag"),
                ("2. Other", "2-other")
            ]
        );
        assert!(
            plain_text(&r.lines[r.headings[1].line..=r.headings[1].line]).contains("Kafka lag")
        );
        assert_eq!(r.links.len(), 2, "{:?}", r.links);
        let line = r.links[0].0;
        assert_eq!(r.link_on(line), Some("runbook.md#lag"));
        assert_eq!(r.links[1].1, "https://x.example");
        assert_eq!(r.find("KAFKA"), vec![r.headings[1].line]);
        assert_eq!(r.heading("lag").unwrap().title, "Kafka lag");
    }

    #[test]
    fn lines_fit_the_width_and_tables_stay_aligned() {
        let long = "word ".repeat(60);
        let md = format!(
            "- {long}\n\n| Dependency | Kind | Protocol | Failure mode | Degraded behaviour |\n|---|---|---|---|---|\n| `postgres-main` | Resource (database) | PostgreSQL 16 | hard | all writes fail, searches still served from cache |\n\n{}\n",
            "x".repeat(200)
        );
        for width in [40u16, 80] {
            let r = render_all(&md, width);
            for l in &r.lines {
                let w: usize = l.spans.iter().map(|s| s.content.width()).sum();
                assert!(w <= width as usize, "{w} > {width}: {l:?}");
            }
            let text = plain_text(&r.lines);
            assert!(
                text.contains("  word"),
                "list continuation indented:\n{text}"
            );
            if width == 80 {
                assert!(text.contains("│ postgres-main │"), "{text}");
            }
        }
    }

    #[test]
    fn partial_render_stops_early_and_full_render_agrees() {
        let md: String = (0..500)
            .map(|i| format!("## Section {i}\n\nParagraph {i}.\n\n"))
            .collect();
        let p = prepare(&md);
        let opts = RenderOptions {
            width: 80,
            palette: Palette::Dark,
        };
        let part = render(&md, &p, opts, Some(30));
        assert!(!part.complete && part.lines.len() < 100);
        let full = render(&md, &p, opts, None);
        assert!(full.complete && full.headings.len() == 500);
        assert_eq!(full.lines[..part.lines.len()], part.lines[..]);
    }

    #[test]
    fn tables_that_would_split_words_become_records() {
        let md = "| Dependency | Kind | Protocol | Failure mode | Degraded behaviour |\n|---|---|---|---|---|\n| `booking-events-topic` | Resource (Kafka topic) | CDC outbox | soft | tickets are issued late |\n| `rail-common` | Component | in-process | build-time | |\n\nAfter.\n";
        let text = plain_text(&render_all(md, 60).lines);
        assert!(
            text.contains(
                "- Dependency: booking-events-topic\n    - Kind: Resource (Kafka topic)\n"
            ),
            "{text}"
        );
        assert!(text.contains("    - Degraded behaviour: —"), "{text}");
        assert!(text.contains("After."), "{text}");
        // Wide enough: a table.
        let text = plain_text(&render_all(md, 140).lines);
        assert!(text.contains("│ booking-events-topic │"), "{text}");
    }

    #[test]
    fn first_screens_of_a_big_page_match_the_whole_render() {
        let md: String = (0..4000)
            .map(|i| format!("## Section {i}\n\nSome *text* with [a link](p{i}.md).\n\n```sh\necho {i}\n```\n\n"))
            .collect();
        assert!(md.len() > 2 * HEAD_BYTES);
        let opts = RenderOptions {
            width: 80,
            palette: Palette::Mono,
        };
        let first = first_screens(&md, opts);
        assert!(!first.complete && first.lines.len() >= FIRST_LINES);
        let full = render(&md, &prepare(&md), opts, None);
        assert_eq!(full.lines[..first.lines.len()], first.lines[..]);
        assert_eq!(full.links[..first.links.len()], first.links[..]);
    }

    #[test]
    fn pale_colours_are_darkened_for_white() {
        for (r, g, b) in [
            (150, 152, 150),
            (255, 255, 0),
            (255, 255, 255),
            (24, 54, 145),
        ] {
            let Color::Rgb(r2, g2, b2) = readable_on_white(Color::Rgb(r, g, b)) else {
                panic!()
            };
            assert!(1.05 / (luminance(r2, g2, b2) + 0.05) >= 4.5);
            assert!(r2 <= r && g2 <= g && b2 <= b);
        }
        // Dark enough already: kept.
        assert_eq!(
            readable_on_white(Color::Rgb(24, 54, 145)),
            Color::Rgb(24, 54, 145)
        );
        assert_eq!(readable_on_white(Color::Blue), Color::Blue);
    }

    #[test]
    fn raw_html_stays_inert_text() {
        let r = render_all("<script>alert(1)</script>\n\nHi <b>there</b>\n", 80);
        let text = plain_text(&r.lines);
        assert!(text.contains("<script>alert(1)</script>"), "{text}");
    }

    /// Any page under the size limit renders quickly once bounded: a 2 MB
    /// table of 20,000 columns, 200k nested lists from remote HTML.
    #[test]
    fn hostile_pages_render_quickly() {
        let opts = RenderOptions {
            width: 100,
            palette: crate::theme::Palette::Mono,
        };
        let row = format!("|{}\n", "x|".repeat(20_000));
        let md = format!("{row}|{}\n{}", "-|".repeat(20_000), row.repeat(20));
        assert!(md.len() > 800_000);
        let html = format!(
            "<article>{}x{}</article>",
            "<ul><li>".repeat(200_000),
            "</li></ul>".repeat(200_000)
        );
        let from_html = callboard_core::docs::html::to_markdown(&html);
        for (name, page) in [("table", md), ("lists", from_html)] {
            let started = std::time::Instant::now();
            let (text, _) = callboard_core::docs::page_text(page.as_bytes(), page.len(), "p.md");
            let _ = first_screens(&text, opts);
            let rendered = render(&text, &prepare(&text), opts, None);
            assert!(!rendered.lines.is_empty());
            let took = started.elapsed();
            // Debug builds; release builds take a fraction of this.
            assert!(took < std::time::Duration::from_secs(5), "{name}: {took:?}");
        }
    }

    /// A page of one line over the size limit shows its first part.
    #[test]
    fn a_single_line_page_over_the_limit_shows_its_start() {
        let line = "word ".repeat(600_000);
        let (text, notes) =
            callboard_core::docs::page_text(line.as_bytes(), line.len(), "one-line.md");
        assert!(!notes.is_empty());
        let opts = RenderOptions {
            width: 80,
            palette: crate::theme::Palette::Mono,
        };
        let first = first_screens(&text, opts);
        assert!(
            plain_text(&first.lines).contains("word word"),
            "{:?}",
            first.lines.first()
        );
    }
}

mod code_block_tests {
    use super::*;

    const PAGE: &str = "# Connect\n\nRun:\n\n```sh\npsql \"host=postgres-main.db.northwind.example port=5432 dbname=booking user=readonly_oncall sslmode=require\"\n\necho done\n```\n\n- In a list:\n\n  ```\n  +----------+      +-------------+      +------------------+\n  | frontend | ---> | booking-api | ---> | payments-service |\n  +----------+      +-------------+      +------------------+\n  ```\n\nAfter.\n";

    #[test]
    fn code_blocks_are_never_wrapped_and_are_known_with_their_text() {
        for palette in [Palette::Mono, Palette::Dark, Palette::Light] {
            for width in [40u16, 60, 80, 120] {
                let r = render(PAGE, &prepare(PAGE), RenderOptions { width, palette }, None);
                let text = plain_text(&r.lines);
                assert!(
                    text.contains("psql \"host=postgres-main.db.northwind.example port=5432 dbname=booking user=readonly_oncall sslmode=require\"\n"),
                    "{width}: {text}"
                );
                assert!(
                    text.contains("| frontend | ---> | booking-api | ---> | payments-service |\n"),
                    "{width}: {text}"
                );
                assert_eq!(r.code.len(), 2, "{width}: {:?}", r.code);
                let psql = &r.code[0];
                assert_eq!(
                    r.code_text(psql),
                    "psql \"host=postgres-main.db.northwind.example port=5432 dbname=booking user=readonly_oncall sslmode=require\"\n\necho done\n"
                );
                assert!(r.lines[psql.lines.start]
                    .spans
                    .iter()
                    .any(|s| s.content.contains("```sh")));
                let diagram = &r.code[1];
                assert_eq!(diagram.body.len(), 3);
                assert!(
                    r.code_text(diagram).starts_with("+----------+"),
                    "{:?}",
                    r.code_text(diagram)
                );
                for l in diagram.lines.clone() {
                    assert_eq!(r.code_block_at(l), Some(diagram));
                }
                assert!(r.code_block_at(diagram.lines.end).is_none());
                // Prose still fits the width.
                for (i, l) in r.lines.iter().enumerate() {
                    if r.code_block_at(i).is_none() {
                        let w: usize = l.spans.iter().map(|s| s.content.width()).sum();
                        assert!(w <= width as usize, "{l:?}");
                    }
                }
            }
        }
    }
}
