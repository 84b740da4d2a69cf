//! What `callboard sync` shows as it goes: a progress line on stderr, and
//! one summary line per remote source.

use std::time::{Duration, Instant};

use callboard_core::text::counted;
use callboard_io::source::backstage::{Phase, RemoteStats, SyncProgress};
use callboard_io::sync::{SyncEvent, SyncReport};

/// One line per remote sync for `callboard sync`.
pub fn describe_remote_sync(r: &SyncReport, remote: &RemoteStats) -> String {
    let detail = if remote.not_modified {
        format!(
            "incremental: not modified (304), {} unchanged",
            remote.unchanged
        )
    } else if remote.mode == "incremental" {
        format!(
            "incremental: {} fetched, {} unchanged, {} removed",
            remote.fetched, remote.unchanged, remote.removed
        )
    } else {
        "full".to_string()
    };
    let skipped = if remote.skipped > 0 {
        format!(", {} left out by rules.allow", remote.skipped)
    } else {
        String::new()
    };
    format!(
        "{}: {} ({detail}{skipped}), {} in {}, {}, {} ms",
        r.source,
        counted(r.snapshot.entity_count, "entity"),
        human_bytes(remote.bytes_received + remote.bytes_sent),
        counted(remote.requests as usize, "request"),
        counted(r.error_count(), "error"),
        r.elapsed.as_millis()
    )
}

/// `1.4 MB`, `830 kB`, `120 B`.
pub fn human_bytes(n: u64) -> String {
    match n {
        0..=999 => format!("{n} B"),
        1_000..=999_999 => format!("{:.0} kB", n as f64 / 1e3),
        _ => format!("{:.1} MB", n as f64 / 1e6),
    }
}

/// The progress line of `callboard sync` on stderr: redrawn in place on a
/// terminal, a plain line every few seconds otherwise.
pub struct StderrProgress {
    enabled: bool,
    tty: bool,
    state: std::sync::Mutex<ProgressState>,
}

#[derive(Default)]
struct ProgressState {
    drawn: bool,
    last_plain: Option<Instant>,
}

impl StderrProgress {
    pub fn new(enabled: bool) -> StderrProgress {
        StderrProgress {
            enabled,
            tty: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            state: Default::default(),
        }
    }

    /// Show one event of `callboard sync`: a source's progress line, cleared
    /// when the source is done.
    pub fn show(&self, event: &SyncEvent) {
        match event {
            SyncEvent::Source { .. } => {
                // Each source's first line shows at once.
                self.lock().last_plain = None;
            }
            SyncEvent::Progress(p) => self.draw(p),
            SyncEvent::SourceDone { .. } => self.finish(),
            SyncEvent::Started { .. } | SyncEvent::Finished { .. } => {}
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn draw(&self, p: &SyncProgress) {
        if !self.enabled {
            return;
        }
        let what = match p.phase {
            Phase::Pages => "downloading",
            Phase::Listing => "listing changes",
            Phase::Fetching => "fetching changed",
            Phase::Writing => "writing",
        };
        let count = match p.total {
            Some(t) => format!("{}/{t} entities", p.entities),
            None => counted(p.entities, "entity"),
        };
        let line = format!(
            "{}: {what}: {count}, {}",
            crate::cli::output::clean(&p.source),
            human_bytes(p.bytes)
        );
        let mut st = self.lock();
        if self.tty {
            eprint!("\r\x1b[2K{line}");
            st.drawn = true;
        } else if st
            .last_plain
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(5))
        {
            eprintln!("{line}");
            st.last_plain = Some(Instant::now());
        }
    }

    /// Clear the line (on a terminal).
    pub fn finish(&self) {
        let mut st = self.lock();
        if st.drawn {
            eprint!("\r\x1b[2K");
            st.drawn = false;
        }
    }
}
