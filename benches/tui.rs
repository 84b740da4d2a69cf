//! TUI figures at scale: `cargo bench --bench tui`.
//!
//! Generates (once) a synthetic catalog of `CALLBOARD_BENCH_ENTITIES`
//! entities (default 100 000; `cargo bench --bench tui -- 1000000` also
//! works) under `CALLBOARD_BENCH_DIR` (default `/tmp/callboard-bench`, the
//! same `cat-<n>` and `cache-<n>` as `benches/process.sh`: 1,000 entities a
//! file below 1M, 10 files from 1M up), syncs it into a cache there, then
//! measures, printing the targets next to the figures:
//!
//! 1. start → first full frame, in process: workers, corpus load, matcher,
//!    frame drawn into a `TestBackend` with every list row filled;
//! 2. keystroke → redrawn result list: the first frame after a key, and the
//!    frame whose list reflects the new query completely (matcher done);
//! 3. with tmux installed, the real binary: start → first full frame as seen
//!    by `capture-pane`, and its memory (VmRSS, VmHWM) once loaded, against
//!    the size of the raw entity JSON in the cache.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use callboard_io::cache::Cache;
use callboard_io::config::{Source, SourceKind};
use callboard_tui::app::{App, Effect, Env};
use callboard_tui::keymap::{Action, Keymap};
use callboard_tui::layout;
use callboard_tui::messages::Msg;
use callboard_tui::testing::Harness;
use callboard_tui::theme::Theme;
use callboard_tui::workers::{WorkerConfig, Workers};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

// The in-process figures must see the allocator the binary runs on
// (src/main.rs: mimalloc, freed pages handed back after 3 ms).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn summary(name: &str, mut v: Vec<Duration>) {
    v.sort();
    println!(
        "{name:<52} n={:<4} p50 {:>10}  p90 {:>10}  p99 {:>10}  max {:>10}",
        v.len(),
        ms(percentile(&v, 0.5)),
        ms(percentile(&v, 0.9)),
        ms(percentile(&v, 0.99)),
        ms(*v.last().unwrap_or(&Duration::ZERO))
    );
}

/// Generate and sync the catalog unless the cache already has it.
fn prepare(n: usize, work: &Path) -> (PathBuf, Vec<Source>) {
    let src = work.join(format!("cat-{n}"));
    let cache_dir = work.join(format!("cache-{n}"));
    let root = std::path::absolute(&src).unwrap();
    let source = Source {
        name: format!("path:{}", root.display()),
        kind: SourceKind::Local {
            roots: vec![root.clone()],
        },
    };
    let cache = Cache::new(&cache_dir);
    if cache.open_snapshot(&source.name).ok().flatten().is_none() {
        eprintln!(
            "generating {n} entities under {} and syncing (once)…",
            work.display()
        );
        let docs = callboard_gen::generate(&callboard_gen::GenOptions {
            entities: n,
            seed: 42,
        });
        std::fs::create_dir_all(&src).unwrap();
        // The 1M catalog is 10 files.
        let per_file = if n >= 1_000_000 { n.div_ceil(10) } else { 1000 };
        callboard_gen::write_yaml_tree(&docs, &src, per_file).unwrap();
        drop(docs);
        let report = callboard_io::sync::sync_source(&cache, &source, None).unwrap();
        eprintln!(
            "synced {} entities in {:?}",
            report.snapshot.entity_count, report.elapsed
        );
    }
    (cache_dir, vec![source])
}

/// Start → first frame whose list is full, in process.
fn first_frame(cache_dir: &Path, sources: &[Source], size: (u16, u16)) -> Duration {
    let t0 = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let workers = Workers::spawn(
        WorkerConfig {
            cache: Cache::new(cache_dir),
            sources: sources.to_vec(),
            allowed_kinds: None,
            remotes: Default::default(),
        },
        tx.clone(),
    );
    let mut app = App::new(
        Keymap::default(),
        Theme::default_theme(),
        Env::default(),
        size,
        0,
    );
    let flag = Arc::new(AtomicBool::new(false));
    let notify = {
        let flag = flag.clone();
        let tx = tx.clone();
        Arc::new(move || {
            if !flag.swap(true, Ordering::SeqCst) {
                let _ = tx.send(Msg::Wake);
            }
        })
    };
    app.set_notify(notify, flag);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let rows = layout::catalog(app.area(), false).list.height as usize;
    loop {
        for e in app.take_effects() {
            if let Effect::Request(r) = e {
                workers.send(r);
            }
        }
        app.prepare_frame(10);
        if app.dirty {
            terminal
                .draw(|f| callboard_tui::view::draw(f, &app))
                .unwrap();
            app.dirty = false;
            if app.catalog.rows.len() >= rows {
                return t0.elapsed();
            }
        }
        match rx.try_recv() {
            Ok(msg) => app.handle_msg(msg),
            Err(_) => std::thread::sleep(Duration::from_micros(200)),
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no full frame after 60 s"
        );
    }
}

/// CPU time of the calling thread (wall time lies on a loaded machine).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a pointer to a live timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time of the whole process (all threads).
fn process_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid clock id and a pointer to a live timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Where the start-up time goes, step by step (one run).
fn phases(cache_dir: &Path, sources: &[Source]) {
    let cpu0 = thread_cpu();
    let t = Instant::now();
    let cache = Cache::new(cache_dir);
    let snapshot = cache.open_snapshot(&sources[0].name).unwrap().unwrap();
    let open = t.elapsed();
    // As the TUI loads it: the corpus file mapped, checked and decoded.
    let corpus = snapshot.corpus().unwrap().unwrap();
    let decode = t.elapsed();
    let cpu1 = thread_cpu();
    // The picker's worker sorts again: this is the sort's cost alone.
    let corpus_len = corpus.len();
    let _order = callboard_core::search::display_order(&corpus);
    let sorted = t.elapsed();
    let cpu2 = thread_cpu();
    let mut picker = callboard_tui::picker::Picker::new(Arc::new(corpus), Arc::new(|| {}));
    let started = t.elapsed();
    while picker.progress().matched < 40 {
        picker.tick(1);
    }
    let first_rows = t.elapsed();
    picker.settle();
    let all = t.elapsed();
    println!(
        "phases: open {} · corpus mapped and decoded ({} records) {} · sort {} · matcher {} · first rows (sort included) {} · index built {}",
        ms(open),
        corpus_len,
        ms(decode - open),
        ms(sorted - decode),
        ms(started - sorted),
        ms(first_rows - started),
        ms(all - started)
    );
    println!(
        "        cpu: open+map+decode {} · sort {}",
        ms(cpu1 - cpu0),
        ms(cpu2 - cpu1)
    );
}

fn press(app: &mut App, c: char) {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
}

/// Type each query char by char; per key: time to the first redrawn frame
/// and to the frame with the complete result list.
fn keystrokes(
    h: &mut Harness,
    queries: &[&str],
    size: (u16, u16),
) -> (Vec<Duration>, Vec<Duration>, Vec<Duration>) {
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let mut first = Vec::new();
    let mut complete = Vec::new();
    let mut cpu = Vec::new();
    let mut draws = Vec::new();
    for q in queries {
        h.app.update(Action::ClearLine);
        h.settle();
        for c in q.chars() {
            let t0 = Instant::now();
            let c0 = process_cpu();
            press(&mut h.app, c);
            let mut seen_first = false;
            loop {
                h.app.prepare_frame(10);
                let drawing = Instant::now();
                terminal
                    .draw(|f| callboard_tui::view::draw(f, &h.app))
                    .unwrap();
                draws.push(drawing.elapsed());
                h.app.dirty = false;
                if !seen_first {
                    first.push(t0.elapsed());
                    seen_first = true;
                }
                if !h.app.catalog.progress.running {
                    complete.push(t0.elapsed());
                    cpu.push(process_cpu() - c0);
                    if std::env::var_os("CALLBOARD_BENCH_VERBOSE").is_some() {
                        println!(
                            "  {:<28} wall {:>10} cpu {:>10} matched {} last draw {}",
                            h.app.catalog.query.text,
                            ms(t0.elapsed()),
                            ms(process_cpu() - c0),
                            h.app.catalog.progress.matched,
                            ms(*draws.last().unwrap())
                        );
                    }
                    break;
                }
            }
            // Let the preview request and the workers settle, untimed.
            h.settle();
        }
    }
    summary("  one frame drawn (120x40 TestBackend)", draws);
    (first, complete, cpu)
}

fn tmux(socket: &Path, args: &[&str]) -> String {
    let out = Command::new("tmux")
        .arg("-S")
        .arg(socket)
        .args(args)
        .output()
        .expect("tmux");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn status_kb(pid: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The real binary under tmux: (first full frame, RSS kB once loaded, HWM kB).
fn process_run(
    bin: &str,
    source: &Path,
    cache_dir: &Path,
    n: usize,
) -> Option<(Duration, u64, u64)> {
    let dir = tempfile::tempdir().ok()?;
    let socket = dir.path().join("sock");
    let t0 = Instant::now();
    let status = Command::new("tmux")
        .arg("-S")
        .arg(&socket)
        .args([
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "b",
            "-x",
            "80",
            "-y",
            "24",
            "--",
            bin,
            "--source",
        ])
        .arg(source)
        .arg("--cache-dir")
        .arg(cache_dir)
        .env_remove("CALLBOARD_CONFIG")
        .env("XDG_CONFIG_HOME", dir.path())
        .status()
        .ok()?;
    if !status.success() {
        return None;
    }
    let full = |s: &str| {
        let lines: Vec<&str> = s.lines().collect();
        lines.len() >= 21 && lines[2].starts_with("› ") && !lines[20].trim().is_empty()
    };
    let first = loop {
        let screen = tmux(&socket, &["capture-pane", "-p", "-t", "b"]);
        if full(&screen) {
            break t0.elapsed();
        }
        if t0.elapsed() > Duration::from_secs(60) {
            eprintln!("no full frame; screen:\n{screen}");
            tmux(&socket, &["kill-server"]);
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let pid = tmux(
        &socket,
        &["display-message", "-p", "-t", "b", "#{pane_pid}"],
    )
    .trim()
    .to_string();
    // At 80 columns the search line has no room for the "N / N" counter:
    // widen the window once the first frame is timed.
    tmux(
        &socket,
        &["resize-window", "-t", "b", "-x", "200", "-y", "24"],
    );
    let done = format!("{n} / {n}");
    let t1 = Instant::now();
    while !tmux(&socket, &["capture-pane", "-p", "-t", "b"]).contains(&done)
        && t1.elapsed() < Duration::from_secs(60)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let rss = status_kb(&pid, "VmRSS:");
    let hwm = status_kb(&pid, "VmHWM:");
    tmux(&socket, &["send-keys", "-t", "b", "C-c"]);
    std::thread::sleep(Duration::from_millis(100));
    tmux(&socket, &["kill-server"]);
    Some((first, rss, hwm))
}

/// How many entities the snapshot holds (the generator's root Location too).
fn entity_count(cache_dir: &Path, source: &str) -> usize {
    let path = Cache::new(cache_dir).snapshot_path(source);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT count(*) FROM entities", [], |r| r.get::<_, i64>(0))
        .unwrap() as usize
}

fn raw_json_bytes(cache_dir: &Path, source: &str) -> u64 {
    let path = Cache::new(cache_dir).snapshot_path(source);
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("SELECT sum(length(json)) FROM entities", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

fn main() {
    // SAFETY: sets an integer option before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 3) };
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing
    // useful: only run the long measurements when benchmarking.
    if !std::env::args().any(|a| a == "--bench") {
        println!("tui bench: run with `cargo bench --bench tui`");
        return;
    }
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .or_else(|| {
            std::env::var("CALLBOARD_BENCH_ENTITIES")
                .ok()
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(100_000);
    let work = std::env::var_os("CALLBOARD_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/callboard-bench"));
    // Issue 16: targets 4 (100k) and 5 (1M).
    let (frame_target, key_target) = if n >= 1_000_000 { (250, 33) } else { (60, 10) };
    let (cache_dir, sources) = prepare(n, &work);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!("== callboard TUI at {n} entities ({cores} cores)");
    println!(
        "targets: first full frame ≤ {frame_target} ms median; keystroke → complete list ≤ {key_target} ms p99"
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average: {}", load.trim());
    }

    phases(&cache_dir, &sources);
    phases(&cache_dir, &sources);
    if std::env::var_os("CALLBOARD_BENCH_PHASES_ONLY").is_some() {
        return;
    }
    let keys_only = std::env::var_os("CALLBOARD_BENCH_KEYS_ONLY").is_some();
    if !keys_only {
        let runs: Vec<Duration> = (0..11)
            .map(|_| first_frame(&cache_dir, &sources, (80, 24)))
            .collect();
        summary("start → first full frame (in process, 80x24)", runs);
    }

    let mut h = Harness::over(&cache_dir, sources.clone(), (120, 40));
    // Every query is typed `rounds` times: 40 keystrokes a round are too
    // few for a p99.
    let rounds: usize = std::env::var("CALLBOARD_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let text = [
        "payments",
        "svc-auth",
        "team-plat",
        "^order",
        "api$",
        "zzzzq",
    ]
    .repeat(rounds);
    let (first, complete, cpu) = keystrokes(&mut h, &text, (120, 40));
    summary("keystroke → first frame (fuzzy text)", first);
    summary("keystroke → complete result list (fuzzy text)", complete);
    summary("  CPU per keystroke, all threads (fuzzy text)", cpu);
    let filters = ["kind:api pay", "owner:team-a", "lifecycle:production se"].repeat(rounds);
    let (first, complete, cpu) = keystrokes(&mut h, &filters, (120, 40));
    summary("keystroke → first frame (with filters)", first);
    summary("keystroke → complete result list (with filters)", complete);
    summary("  CPU per keystroke, all threads (with filters)", cpu);
    drop(h);
    if keys_only {
        return;
    }

    let raw = raw_json_bytes(&cache_dir, &sources[0].name);
    println!("raw entity JSON in the cache: {:.1} MB", raw as f64 / 1e6);
    let has_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_tmux {
        println!("(tmux not installed: process start and memory not measured)");
        return;
    }
    let SourceKind::Local { roots } = &sources[0].kind else {
        unreachable!()
    };
    // CALLBOARD_BENCH_BIN: another build (say the one before a change).
    let bin = std::env::var("CALLBOARD_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_callboard").to_string());
    let bin = bin.as_str();
    let mut starts = Vec::new();
    let mut rss = Vec::new();
    let mut hwm = Vec::new();
    for _ in 0..7 {
        // The counter reads "N / N" once loaded (N counts the root Location).
        let count = entity_count(&cache_dir, &sources[0].name);
        if let Some((t, r, p)) = process_run(bin, &roots[0], &cache_dir, count) {
            starts.push(t);
            rss.push(r);
            hwm.push(p);
        }
    }
    summary("start → first full frame (real binary in tmux)", starts);
    rss.sort();
    hwm.sort();
    if let (Some(r), Some(p)) = (rss.get(rss.len() / 2), hwm.get(hwm.len() / 2)) {
        println!(
            "memory once loaded: VmRSS {:.1} MB ({:.2}x raw JSON), peak VmHWM {:.1} MB ({:.2}x)",
            *r as f64 / 1e3,
            (*r as f64 * 1024.0) / raw as f64,
            *p as f64 / 1e3,
            (*p as f64 * 1024.0) / raw as f64
        );
    }
}
