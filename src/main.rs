//! `callboard`: the binary. All behaviour lives in the library crates
//! (`callboard-core`, `callboard-io`, `callboard-tui`); this is the
//! command line over them.

mod allocator;
mod cli;

// mimalloc, except for lookups of one entity: see `allocator`.
#[global_allocator]
static ALLOCATOR: allocator::ByCommand = allocator::ByCommand;

/// `mi_option_purge_delay` in mimalloc's `mi_option_t` (v2 and v3; the sys
/// crate names no constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // Hand freed pages back after 3 ms instead of mimalloc's 10: a sync
    // frees parsed pages while it builds the next ones, and with the default
    // its peak RSS was 15-25 % higher (100k local sync: 280-333 MB at 3 ms,
    // 330-405 MB at 10; glibc 315 MB), at the same CPU. 0 cost more system
    // time for no less memory.
    // SAFETY: sets an integer option; called before any other thread exists.
    if allocator::is_mimalloc() {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 3) };
    }
    cli::run()
}
