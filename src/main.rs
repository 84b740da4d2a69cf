//! `callboard`: the binary. All behaviour lives in the library crates
//! (`callboard-core`, `callboard-io`, `callboard-tui`); this is the
//! command line over them.

mod cli;

// glibc's malloc/free was about a third of a local sync's CPU (perf);
// mimalloc's thread-local free lists cost a fraction of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::run()
}
