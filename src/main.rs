//! `callboard`: the binary. All behaviour lives in the library crates
//! (`callboard-core`, `callboard-io`, `callboard-tui`); this is the
//! command line over them.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
