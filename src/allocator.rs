//! The process allocator, chosen per command before the first allocation.
//!
//! mimalloc pays off where a command allocates a lot: a sync, the TUI, a
//! search over the whole catalog (glibc's malloc/free was a third of a local
//! sync's CPU). A lookup of one entity (`show`, `deps`, `docs`) allocates
//! well under a megabyte, and there mimalloc's start-up (its page map, an
//! arena reserved and its first 2 MB huge page zeroed, a purge at exit) was a
//! fifth of the whole process (perf over 300 runs of `show`). Those commands
//! use the system allocator.
//!
//! The choice is made once, in a constructor that glibc runs before `main`
//! and before Rust's runtime allocates, from the process's arguments. It can
//! never change after an allocation: the first allocation without a choice
//! fixes mimalloc, so memory is always freed by the allocator that gave it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU8, Ordering};

use mimalloc::MiMalloc;

const UNDECIDED: u8 = 0;
const MIMALLOC: u8 = 1;
const SYSTEM: u8 = 2;

static CHOICE: AtomicU8 = AtomicU8::new(UNDECIDED);

/// Subcommands that read one entity and its neighbours from the cache.
const LOOKUPS: &[&[u8]] = &[b"show", b"deps", b"docs"];

/// Global options that take a value (`--source DIR`): their value is not
/// the subcommand. Kept beside `cli::Cli`; a test checks the two agree.
pub const VALUE_OPTIONS: &[&[u8]] = &[b"--config", b"--source", b"--endpoint", b"--cache-dir"];

/// Whether the arguments (without the program name) start a lookup.
pub fn is_lookup<'a>(mut args: impl Iterator<Item = &'a [u8]>) -> bool {
    while let Some(arg) = args.next() {
        if VALUE_OPTIONS.contains(&arg) {
            args.next();
            continue;
        }
        if arg.starts_with(b"-") {
            continue;
        }
        return LOOKUPS.contains(&arg);
    }
    false
}

fn choose(choice: u8) {
    // Only before the first allocation; afterwards the choice stands.
    let _ = CHOICE.compare_exchange(UNDECIDED, choice, Ordering::Relaxed, Ordering::Relaxed);
}

#[inline]
fn choice() -> u8 {
    match CHOICE.load(Ordering::Relaxed) {
        UNDECIDED => {
            choose(MIMALLOC);
            CHOICE.load(Ordering::Relaxed)
        }
        c => c,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod constructor {
    use std::ffi::{c_char, c_int, CStr};

    /// glibc calls `.init_array` entries of the executable with
    /// `(argc, argv, envp)` before `main`.
    #[used]
    #[link_section = ".init_array"]
    static CHOOSE_ALLOCATOR: extern "C" fn(c_int, *const *const c_char, *const *const c_char) =
        choose_from_args;

    extern "C" fn choose_from_args(
        argc: c_int,
        argv: *const *const c_char,
        _envp: *const *const c_char,
    ) {
        if argv.is_null() || argc < 2 {
            return;
        }
        // SAFETY: glibc passes the process's argv: `argc` valid C strings.
        let args = (1..argc as usize).map(|i| unsafe { CStr::from_ptr(*argv.add(i)) }.to_bytes());
        if super::is_lookup(args) {
            super::choose(super::SYSTEM);
        }
    }
}

pub struct ByCommand;

// SAFETY: every block is freed, resized and zero-allocated by the allocator
// that gave it, because `choice()` never changes once anything is allocated.
unsafe impl GlobalAlloc for ByCommand {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if choice() == SYSTEM {
            System.alloc(layout)
        } else {
            MiMalloc.alloc(layout)
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if choice() == SYSTEM {
            System.alloc_zeroed(layout)
        } else {
            MiMalloc.alloc_zeroed(layout)
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if choice() == SYSTEM {
            System.dealloc(ptr, layout)
        } else {
            MiMalloc.dealloc(ptr, layout)
        }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if choice() == SYSTEM {
            System.realloc(ptr, layout, new_size)
        } else {
            MiMalloc.realloc(ptr, layout, new_size)
        }
    }
}

/// Whether this process runs on mimalloc (set up its options then).
pub fn is_mimalloc() -> bool {
    choice() == MIMALLOC
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(args: &[&str]) -> bool {
        is_lookup(args.iter().map(|a| a.as_bytes()))
    }

    #[test]
    fn lookups_are_found_past_global_options() {
        assert!(lookup(&["show", "api:x"]));
        assert!(lookup(&["--source", "show", "deps", "x"]));
        assert!(lookup(&["--json", "--cache-dir", "/tmp/c", "docs", "x"]));
        assert!(!lookup(&["--source", "show", "sync"]));
        assert!(!lookup(&["search", "show"]));
        assert!(!lookup(&[]));
        assert!(!lookup(&["--json"]));
    }

    #[test]
    fn value_options_are_the_global_options_that_take_a_value() {
        use clap::CommandFactory;
        let mut from_cli: Vec<String> = crate::cli::Cli::command()
            .get_arguments()
            .filter(|a| a.is_global_set() && a.get_action().takes_values())
            .filter_map(|a| a.get_long().map(|long| format!("--{long}")))
            .collect();
        let mut here: Vec<String> = VALUE_OPTIONS
            .iter()
            .map(|o| String::from_utf8_lossy(o).into_owned())
            .collect();
        from_cli.sort();
        here.sort();
        assert_eq!(here, from_cli);
    }

    #[test]
    fn the_choice_never_changes_once_made() {
        let made = choice();
        choose(if made == SYSTEM { MIMALLOC } else { SYSTEM });
        assert_eq!(choice(), made);
    }
}
