//! Panics off the UI thread. A worker request that panics is answered with
//! the error where the UI waits for it (the pane shows it instead of
//! "Loading" for ever) and the worker goes on serving; the terminal is only
//! given back when the UI thread itself panics (see `crate::run`).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe, Location};

thread_local! {
    /// A [`guarded`] call is running on this thread.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// Where the panic being caught happened (noted by the panic hook).
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Run `f`; a panic in it becomes `Err("internal error: …")`, in words for
/// the status bar or a pane.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let outer = GUARDED.replace(true);
    let result = catch_unwind(AssertUnwindSafe(f));
    GUARDED.set(outer);
    result.map_err(|payload| {
        let at = LOCATION
            .take()
            .map(|l| format!(" (at {l})"))
            .unwrap_or_default();
        format!("internal error: {}{at}", panic_message(payload.as_ref()))
    })
}

/// For the panic hook: true when this thread's panic is caught by
/// [`guarded`] (and answered there, with `location`).
pub fn caught(location: Option<&Location<'_>>) -> bool {
    if !GUARDED.get() {
        return false;
    }
    LOCATION.set(location.map(|l| l.to_string()));
    true
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_error_and_the_thread_goes_on() {
        // As the app's hook does: the caught panic is not printed, others
        // (another test's) are.
        let previous: std::sync::Arc<dyn Fn(&std::panic::PanicHookInfo<'_>) + Send + Sync> =
            std::sync::Arc::from(std::panic::take_hook());
        let others = previous.clone();
        std::panic::set_hook(Box::new(move |info| {
            if !caught(info.location()) {
                others(info);
            }
        }));
        let err = guarded(|| -> u32 { panic!("boom {}", 42) }).unwrap_err();
        let ok = guarded(|| 7);
        std::panic::set_hook(Box::new(move |info| previous(info)));
        assert!(err.starts_with("internal error: boom 42 (at "), "{err}");
        assert!(err.contains("guard.rs"), "{err}");
        assert_eq!(ok, Ok(7));
        assert!(!GUARDED.get(), "the flag is reset after the call");
    }
}
