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
    set_purge_delay(3);
    cli::run()
}

/// How long mimalloc keeps freed pages before handing them back, in ms
/// (mimalloc's `MIMALLOC_PURGE_DELAY`, when set, wins; nothing to set when
/// this command runs on the system allocator).
pub(crate) fn set_purge_delay(ms: i64) {
    if allocator::is_mimalloc() && std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets an integer option; called at start and before a
        // command starts its first thread.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms as _) };
    }
}
