//! The run-log pane: the recorded remote run and a cancelled one applied
//! event by event, drawn at 80x24 and 120x40; the file-tree preview.

use callboard_core::template::sse::{task_event, to_run_events, SseParser, TaskEvent};
use callboard_core::template::tree::file_tree_lines;
use callboard_core::template::{RunEvent, StepStatus};
use callboard_tui::screens::templates::plan::render_file_tree;
use callboard_tui::screens::templates::run_log::{render, RunLog, StepState};
use callboard_tui::testing::buffer_text;
use callboard_tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn api(file: &str) -> Vec<u8> {
    std::fs::read(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/backstage-api/"
        )
        .to_string()
            + file,
    )
    .unwrap()
}

fn hello_steps() -> Vec<(String, String)> {
    [
        ("hello", "Say hello"),
        ("fetch", "Render skeleton"),
        ("pause", "Pause"),
        ("list", "List workspace"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect()
}

fn draw(log: &RunLog, w: u16, h: u16) -> String {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    render(log, Rect::new(0, 0, w, h), &mut buf, &Theme::mono());
    buffer_text(&buf)
}

#[test]
fn completed_remote_run() {
    let mut log = RunLog::new("Hello (offline)", hello_steps());
    log.apply(&RunEvent::TaskCreated {
        task_id: "acac0855".into(),
    });
    let mut parser = SseParser::new();
    for sse in parser.push(&api("scaffolder-task-eventstream.sse.txt")) {
        for e in to_run_events(&task_event(&sse).unwrap()) {
            log.apply(&e);
        }
    }
    assert!(log.is_finished());
    assert!(log
        .steps
        .iter()
        .all(|s| s.state == StepState::Done(StepStatus::Completed)));
    assert_eq!(log.status_line(), "completed (4/4 steps)");
    let (links, _) = log.output();
    assert_eq!(
        links,
        vec![(
            "Local result".to_string(),
            "http://127.0.0.1:3000/create/tui-demo".to_string()
        )]
    );
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = draw(&log, w, h);
        assert!(!screen.contains('\u{1b}'));
        assert!(
            screen.contains("http://127.0.0.1:3000/create/tui-demo"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("run_log_completed_{w}x{h}"), screen);
    }
}

#[test]
fn cancelled_remote_run_mid_way() {
    let mut log = RunLog::new("Hello (offline)", hello_steps());
    let events: Vec<TaskEvent> =
        serde_json::from_slice(&api("scaffolder-task-cancelled-events.json")).unwrap();
    let mut cancelled = false;
    for e in &events {
        for run in to_run_events(e) {
            if !cancelled && matches!(&run, RunEvent::StepStarted { id, .. } if id == "pause") {
                log.apply(&run);
                // Mid-run: the pause step is running.
                insta::assert_snapshot!("run_log_running_80x24", draw(&log, 80, 24));
                log.cancelling = true;
                cancelled = true;
                continue;
            }
            log.apply(&run);
        }
    }
    assert!(
        log.status_line().starts_with("cancelled:"),
        "{}",
        log.status_line()
    );
    let pause = log.steps.iter().find(|s| s.id == "pause").unwrap();
    assert_eq!(pause.state, StepState::Done(StepStatus::Cancelled));
    insta::assert_snapshot!("run_log_cancelled_80x24", draw(&log, 80, 24));
}

#[test]
fn log_lines_from_the_server_are_sanitized_and_scroll() {
    let mut log = RunLog::new("t", Vec::new());
    log.apply(&RunEvent::Log {
        step: Some("s".into()),
        line: "\u{1b}[31mred\u{1b}[0m\u{1b}]0;title\u{7}\rok\nsecond".into(),
    });
    assert_eq!(
        log.lines,
        vec![
            (Some("s".into()), "redok".into()),
            (Some("s".into()), "second".into())
        ]
    );
    log.scroll(5);
    assert_eq!(log.scroll_back, 1);
    log.scroll(-9);
    assert_eq!(log.scroll_back, 0);
    // A step the plan did not list still shows up.
    log.apply(&RunEvent::Skipped {
        id: "extra".into(),
        reason: "nope".into(),
    });
    assert_eq!(log.steps[0].name, "extra");
}

#[test]
fn file_tree_preview() {
    let lines = file_tree_lines([
        ("out/README.md", 52),
        ("out/catalog-info.yaml", 210),
        ("out/docs/index.md", 4096),
    ]);
    let mut buf = Buffer::empty(Rect::new(0, 0, 80, 24));
    render_file_tree(
        "./new-service",
        &lines,
        0,
        Rect::new(0, 0, 80, 24),
        &mut buf,
        &Theme::mono(),
    );
    insta::assert_snapshot!("file_tree_80x24", buffer_text(&buf));
}

/// At 80x24 the log follows its last line with long lines wrapped (each
/// wrapped row counted), the output text (Markdown) ends the region, and
/// scrolling reaches the first row and comes back to the end.
#[test]
fn the_log_follows_its_last_wrapped_line_and_renders_output_markdown() {
    let mut log = RunLog::new("t", vec![("s".to_string(), "Step".to_string())]);
    for i in 0..40 {
        log.apply(&RunEvent::Log {
            step: Some("s".into()),
            line: format!(
                "line {i} {}",
                "long words wrap here ".repeat(if i % 3 == 0 { 8 } else { 1 })
            ),
        });
    }
    log.apply(&RunEvent::Completed {
        output: serde_json::json!({"text": [{"title": "Notes", "content": "Made **svc** with:\n\n- one\n- two\n\nThe very last line."}]}),
    });
    let screen = draw(&log, 80, 24);
    let rows: Vec<&str> = screen.lines().collect();
    // The last row inside the box is the output's last line.
    assert!(
        rows[rows.len() - 2].contains("The very last line."),
        "{screen}"
    );
    assert!(
        screen.contains("Made svc with:") && !screen.contains("**"),
        "{screen}"
    );
    assert!(screen.contains("one") && screen.contains("two"), "{screen}");
    // All the way back: the first log line (wrapped rows counted, so
    // scrolling is not cut short by the raw line count).
    log.scroll(10_000);
    let screen = draw(&log, 80, 24);
    assert!(screen.contains("[s] line 0 "), "{screen}");
    log.scroll(10_000);
    log.scroll(-100_000);
    let screen = draw(&log, 80, 24);
    assert!(screen.contains("The very last line."), "{screen}");
}
