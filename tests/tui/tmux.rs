//! A private tmux server driving a program in a real terminal, for the
//! end-to-end tests: keys go in with `send-keys`, the screen comes back with
//! `capture-pane`.
//!
//! Those tests are `#[ignore = "needs tmux"]`: a plain `cargo test` lists
//! them as ignored. Run on purpose (`--include-ignored`) without tmux (or
//! bash, for the ones that start a shell), they fail here saying what is
//! missing, instead of passing without testing anything.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// A private tmux server (its own socket) running callboard with a
    /// fresh cache and config home.
    pub fn start(size: (u16, u16)) -> Tmux {
        Tmux::start_env(size, &[])
    }

    /// Like [`Tmux::start`], with more `NAME=value` in callboard's
    /// environment.
    pub fn start_env(size: (u16, u16), env: &[&str]) -> Tmux {
        // tmux does not always record a dead pane's exit status (it can
        // reap the child before it notices the pane died): a shell writes
        // it to a file instead.
        Tmux::start_with_env(
            size,
            &[
                "sh",
                "-c",
                "\"$0\"; echo $? > \"$EXIT_STATUS_FILE\"",
                env!("CARGO_BIN_EXE_callboard"),
            ],
            env,
        )
    }

    /// Like [`Tmux::start`], running `command` in the pane.
    pub fn start_with(size: (u16, u16), command: &[&str]) -> Tmux {
        Tmux::start_with_env(size, command, &[])
    }

    /// Like [`Tmux::start_with`], with more `NAME=value` in the pane's
    /// environment.
    pub fn start_with_env(size: (u16, u16), command: &[&str], env: &[&str]) -> Tmux {
        require("tmux", "-V");
        if command.first() == Some(&"bash") {
            require("bash", "--version");
        }
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("tmux.sock");
        let home = dir.path().to_path_buf();
        std::fs::create_dir_all(home.join("cache")).unwrap();
        std::fs::create_dir_all(home.join("config")).unwrap();
        let t = Tmux { socket, dir };
        let (w, h) = (size.0.to_string(), size.1.to_string());
        let cache_env = format!("XDG_CACHE_HOME={}", home.join("cache").display());
        let config_env = format!("XDG_CONFIG_HOME={}", home.join("config").display());
        let status_env = format!("EXIT_STATUS_FILE={}", home.join("exit-status").display());
        let mut args = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "cb",
            "-x",
            &w,
            "-y",
            &h,
            "-e",
            &cache_env,
            "-e",
            &config_env,
            "-e",
            &status_env,
        ];
        for var in env {
            args.extend_from_slice(&["-e", var]);
        }
        args.push("--");
        args.extend_from_slice(command);
        let out = t.run(&args);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Keep the pane after exit to read its status; Esc without delay.
        t.run(&["set-option", "-t", "cb", "remain-on-exit", "on"]);
        t.run(&["set-option", "-s", "escape-time", "0"]);
        t
    }

    /// The temporary home of this server: `cache/`, `config/` and the
    /// exit-status file live here.
    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Output {
        // The server (started by the first call) passes its environment on:
        // keep the developer's own callboard settings out of it.
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("CALLBOARD_CACHE_DIR")
            .env_remove("CALLBOARD_CONFIG")
            .env_remove("NO_COLOR")
            .env_remove("TMUX")
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "cb"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "cb"];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    /// Type literal text.
    pub fn type_text(&self, text: &str) {
        let out = self.run(&["send-keys", "-t", "cb", "-l", text]);
        assert!(out.status.success());
    }

    pub fn var(&self, name: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "cb", &format!("#{{{name}}}")]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Poll the screen until `pred` holds; panic with the screen after `secs`.
    pub fn wait(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Poll the tmux format variable `name` until it is `value`; panic
    /// with the screen after `secs`.
    pub fn wait_var(&self, name: &str, value: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let current = self.var(name);
            if current == value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {name} = {value:?} (it is {current:?}); the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("{text:?}"), 20, |s| s.contains(text))
    }

    /// Wait for callboard to exit; its exit status.
    pub fn wait_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let file = self.dir.path().join("exit-status");
        loop {
            if let Ok(status) = std::fs::read_to_string(&file) {
                if status.ends_with('\n') {
                    return status.trim().to_string();
                }
            }
            assert!(
                Instant::now() < deadline,
                "callboard did not exit; the screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Panic, saying what to install, unless `program` runs.
fn require(program: &str, version_flag: &str) {
    let runs = Command::new(program)
        .arg(version_flag)
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        runs,
        "needs {program}: `{program} {version_flag}` does not run (apt-get install {program}). \
         This test is #[ignore]d: it runs only with --include-ignored or --ignored; \
         .ci/run installs {program}."
    );
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The pids whose parent is `parent` (from /proc: no procps needed).
pub fn children_of(parent: &str) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // pid (comm) state ppid …; comm may hold spaces and parentheses.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        if rest.split(' ').nth(1) == Some(parent) {
            out.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    out
}
