//! The event loop and the terminal.
//!
//! One tokio task selects over terminal events (crossterm's `EventStream`),
//! worker results, a 250 ms tick and the termination signals. Bursts are
//! drained before drawing, resizes are coalesced (the frame waits 30 ms for
//! the burst to end), and a frame is drawn only when the state changed,
//! inside a synchronized update so the terminal shows it whole. Raw mode,
//! the alternate screen and mouse capture are undone on every way out: a
//! normal quit, an error, a panic of the UI thread (hook), Ctrl-C (a key
//! in raw mode), SIGINT, SIGTERM and SIGHUP. A panic on another thread
//! leaves the UI running and is shown in it.

use std::io::{self, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::terminal::{
    self, BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen,
    LeaveAlternateScreen,
};
use crossterm::{cursor, execute, queue};
use futures::{FutureExt, StreamExt};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use crate::app::{App, Effect, Env};
use crate::clipboard::{self, Desktop, OpenPlan};
use crate::keymap::{Action, Keymap};
use crate::messages::{Msg, UiReceiver, UiSender};
use crate::termbg;
use crate::theme::Theme;
use crate::view;
use crate::workers::{guard, WorkerConfig, Workers};
use callboard_io::config::Config;

/// How long a resize burst may go on before the frame is drawn.
const RESIZE_SETTLE: Duration = Duration::from_millis(30);
const TICK: Duration = Duration::from_millis(250);
/// How long a frame waits for the matcher (nucleo's recommended 10 ms).
const MATCH_WAIT_MS: u64 = 10;

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

/// Start the interactive UI over the sources in `workers`, with the
/// config's keys and theme; returns when the user quits.
pub fn run(workers: WorkerConfig, config: &Config) -> Result<()> {
    use std::io::IsTerminal;
    let keymap = Keymap::with_overrides(&config.keys).map_err(|e| anyhow!("config: {e}"))?;
    let no_color = Theme::no_color_env();
    // Checked before the terminal is asked anything.
    Theme::from_config(config.theme.as_deref(), no_color).map_err(|e| anyhow!("config: {e}"))?;
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        bail!(
            "the interactive UI needs a terminal; in scripts use `callboard search`, `show` or `deps` (see --help)"
        );
    }
    // `auto` (the default): the terminal's background, asked before the
    // alternate screen (one round trip; none with NO_COLOR or a fixed theme).
    let background = if Theme::is_auto(config.theme.as_deref()) && !no_color {
        terminal::enable_raw_mode().context("cannot set up the terminal")?;
        let found = termbg::detect();
        let _ = terminal::disable_raw_mode();
        found
    } else {
        termbg::from_env()
    };
    let theme = Theme::select(config.theme.as_deref(), no_color, background)
        .map_err(|e| anyhow!("config: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the event loop")?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let workers = Workers::spawn(workers, tx.clone());
    let size = terminal::size().context("cannot read the terminal size")?;
    let mut app = App::new(
        keymap,
        theme,
        Env {
            no_color,
            background,
        },
        size,
        now_ms(),
    );
    app.settings.surfaces = config.surfaces.hosts();
    app.settings.scorecard = config.scorecards.scorecard()?;
    let wake_pending = Arc::new(AtomicBool::new(false));
    let notify = {
        let tx = tx.clone();
        let flag = wake_pending.clone();
        Arc::new(move || {
            if !flag.swap(true, Ordering::SeqCst) {
                let _ = tx.send(Msg::Wake);
            }
        })
    };
    app.set_notify(notify, wake_pending);

    install_panic_hook(tx.clone());
    let _guard = TerminalGuard::enter().context("cannot set up the terminal")?;
    crate::hangup::watch_stdin();
    let backend = CrosstermBackend::new(io::stdout());
    let mut terminal = Terminal::new(backend).context("cannot set up the terminal")?;
    full_redraw(&mut terminal)?;
    runtime.block_on(event_loop(&mut app, &workers, rx, tx, &mut terminal))?;
    Ok(())
}

/// Raw mode, alternate screen, mouse and bracketed paste; undone on drop.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        // Saved before raw mode: an abort (out of memory) restores it too.
        crate::abort_guard::install();
        terminal::enable_raw_mode()?;
        let guard = TerminalGuard;
        execute!(
            io::stdout(),
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste,
            cursor::Hide
        )?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// Put the terminal back as it was. Safe to call more than once.
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(
        out,
        EndSynchronizedUpdate,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// A panic on the UI thread gives the terminal back, then says what
/// happened. A panic on another thread must not write over the screen: a
/// worker request that panics is answered with the error
/// ([`workers::guard`]); any other thread's panic is said in the status
/// bar.
fn install_panic_hook(ui: UiSender) {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore_terminal();
            previous(info);
            return;
        }
        if guard::caught(info.location()) {
            return;
        }
        let thread = std::thread::current();
        let at = info
            .location()
            .map(|l| format!(" (at {l})"))
            .unwrap_or_default();
        let _ = ui.send(Msg::Notice {
            text: format!(
                "internal error on thread {}: {}{at}",
                thread.name().unwrap_or("unnamed"),
                guard::panic_message(info.payload())
            ),
            error: true,
        });
    }));
}

type Term = Terminal<CrosstermBackend<Stdout>>;

/// Clear the screen and make the next frame draw everything. Not
/// `Terminal::clear`: that asks the terminal for the cursor position, and
/// the answer would be read by the event stream's thread (a deadlock).
fn full_redraw(terminal: &mut Term) -> io::Result<()> {
    let (w, h) = terminal::size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, w, h))
}

/// Ctrl-Z: restore the terminal, stop (SIGTSTP), and take it back on `fg`.
#[cfg(unix)]
fn suspend(terminal: &mut Term) -> io::Result<()> {
    restore_terminal();
    // SAFETY: raise(3) with a valid signal number has no preconditions.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    // Continued.
    terminal::enable_raw_mode()?;
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    full_redraw(terminal)
}

#[cfg(not(unix))]
fn suspend(_terminal: &mut Term) -> io::Result<()> {
    Ok(())
}

fn draw(terminal: &mut Term, app: &App) -> io::Result<()> {
    queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
    terminal.draw(|frame| view::draw(frame, app))?;
    execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
    Ok(())
}

#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
            hup: signal(SignalKind::hangup())?,
        })
    }

    async fn any(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
            _ = self.hup.recv() => {}
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals)
    }

    async fn any(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

async fn event_loop(
    app: &mut App,
    workers: &Workers,
    mut rx: UiReceiver,
    tx: UiSender,
    terminal: &mut Term,
) -> Result<()> {
    let desktop = Desktop::detect();
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut signals = Signals::new().context("cannot listen for signals")?;
    // While a resize burst goes on, the frame waits until this instant.
    let mut hold_until: Option<tokio::time::Instant> = None;
    loop {
        run_effects(app, workers, &tx, &desktop, terminal)?;
        if app.quit {
            break;
        }
        app.prepare_frame(MATCH_WAIT_MS);
        // Keys held for the matcher may have run just now (Enter opened an
        // entity): their requests go out before the loop waits again.
        run_effects(app, workers, &tx, &desktop, terminal)?;
        if app.quit {
            break;
        }
        let held = hold_until.is_some_and(|t| t > tokio::time::Instant::now());
        if !held {
            hold_until = None;
        }
        if app.dirty && !held {
            draw(terminal, app)?;
            app.dirty = false;
        }
        let hold = async {
            match hold_until {
                Some(t) => tokio::time::sleep_until(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.next() => {
                match event {
                    Some(Ok(event)) => {
                        handle_event(app, event, &mut hold_until);
                        // Drain the rest of a burst (typing, a paste, a
                        // resize storm) before the next frame.
                        while let Some(Some(Ok(event))) = events.next().now_or_never() {
                            handle_event(app, event, &mut hold_until);
                        }
                    }
                    Some(Err(e)) => return Err(e).context("cannot read the terminal"),
                    None => break,
                }
            }
            Some(msg) = rx.recv() => {
                app.handle_msg(msg);
                while let Ok(msg) = rx.try_recv() {
                    app.handle_msg(msg);
                }
            }
            _ = ticker.tick() => app.update(Action::Tick(now_ms())),
            _ = hold => {}
            _ = signals.any() => break,
        }
    }
    Ok(())
}

/// Debug builds only: `CALLBOARD_TEST_PANIC_KEY=x` makes the key `x` panic,
/// so the end-to-end test can check that a panic gives the terminal back.
#[cfg(debug_assertions)]
fn panic_for_tests(event: &Event) {
    static KEY: std::sync::OnceLock<Option<char>> = std::sync::OnceLock::new();
    let key = KEY.get_or_init(|| {
        std::env::var("CALLBOARD_TEST_PANIC_KEY")
            .ok()
            .and_then(|v| v.chars().next())
    });
    if let (Some(c), Event::Key(k)) = (key, event) {
        if k.code == crossterm::event::KeyCode::Char(*c) {
            panic!("test panic (CALLBOARD_TEST_PANIC_KEY={c})");
        }
    }
}

fn handle_event(app: &mut App, event: Event, hold_until: &mut Option<tokio::time::Instant>) {
    #[cfg(debug_assertions)]
    panic_for_tests(&event);
    match event {
        Event::Key(key) => app.handle_key(key),
        Event::Mouse(mouse) => app.handle_mouse(mouse),
        Event::Paste(text) => app.handle_paste(&text),
        Event::Resize(w, h) => {
            app.update(Action::Resize(w, h));
            *hold_until = Some(tokio::time::Instant::now() + RESIZE_SETTLE);
        }
        Event::FocusGained | Event::FocusLost => {}
    }
}

fn run_effects(
    app: &mut App,
    workers: &Workers,
    tx: &UiSender,
    desktop: &Desktop,
    terminal: &mut Term,
) -> Result<()> {
    for effect in app.take_effects() {
        match effect {
            Effect::Request(request) => workers.send(request),
            Effect::Suspend => {
                suspend(terminal)?;
                app.dirty = true;
            }
            Effect::Refresh(names) => {
                // A sync already running refreshes them anyway.
                workers.start_refresh(names);
            }
            Effect::CancelSync => workers.cancel_sync(),
            Effect::StartSync => {
                if !workers.start_sync() {
                    app.handle_msg(Msg::Notice {
                        text: "a sync is already running".into(),
                        error: false,
                    });
                }
            }
            Effect::Copy { text, what } => {
                let shown = text.clone();
                let session = desktop.clone();
                copy(&text, desktop, tx, terminal, move |native| {
                    clipboard::copy_message(&what, &shown, &native, &session)
                })?;
            }
            Effect::OpenUrl(url) => {
                let shown = callboard_core::text::sanitize::sanitize_line(&url).into_owned();
                match clipboard::open_plan(&url, desktop) {
                    OpenPlan::Launch(program) => match clipboard::launch(program, &url) {
                        Ok(()) => app.handle_msg(Msg::Notice {
                            text: format!("opened {shown}"),
                            error: false,
                        }),
                        Err(e) => {
                            let clean = shown.clone();
                            copy(&clean, desktop, tx, terminal, move |_| {
                                format!("{e}; copied {shown}")
                            })?;
                        }
                    },
                    OpenPlan::ShowAndCopy(reason) => {
                        let clean = shown.clone();
                        copy(&clean, desktop, tx, terminal, move |_| {
                            format!("{reason}: {shown} (copied)")
                        })?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// OSC 52 now (between frames, through the same writer), then a native
/// tool on a thread; `message` words the outcome for the status bar.
fn copy(
    text: &str,
    desktop: &Desktop,
    tx: &UiSender,
    terminal: &mut Term,
    message: impl FnOnce(Result<&'static str, String>) -> String + Send + 'static,
) -> Result<()> {
    let backend = terminal.backend_mut();
    backend.write_all(clipboard::osc52(text, desktop).as_bytes())?;
    backend.flush()?;
    let tools = desktop.copy_tools();
    let tx = tx.clone();
    if tools.is_empty() {
        let _ = tx.send(Msg::Notice {
            text: message(Err("none".into())),
            error: false,
        });
        return Ok(());
    }
    let text = text.to_string();
    std::thread::spawn(move || {
        let result = clipboard::copy_native(&text, &tools);
        let _ = tx.send(Msg::Notice {
            text: message(result),
            error: false,
        });
    });
    Ok(())
}
