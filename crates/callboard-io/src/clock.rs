//! The time a remote sync reads and waits on, injectable so that tests make
//! time pass instead of sleeping.
//!
//! [`Clock::System`], the default, is the wall clock and tokio's timer.
//! [`Clock::manual`] is for tests: its time stands still until a `sleep`
//! (or [`ManualClock::advance`]) moves it on, and every sleep returns at
//! once and is recorded, so retry and `Retry-After` waits cost nothing and
//! can be asserted exactly. Socket timeouts stay real time: they measure
//! the network, not callboard.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    Manual(Arc<ManualClock>),
}

/// A test clock; see [`Clock::manual`].
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: AtomicU64,
    sleeps: Mutex<Vec<Duration>>,
}

impl Clock {
    /// A test clock that starts at the wall clock's now; the handle moves it
    /// and lists the sleeps.
    pub fn manual() -> (Clock, Arc<ManualClock>) {
        let manual = Arc::new(ManualClock {
            now_ms: AtomicU64::new(system_now_ms()),
            sleeps: Mutex::new(Vec::new()),
        });
        (Clock::Manual(manual.clone()), manual)
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> u64 {
        match self {
            Clock::System => system_now_ms(),
            Clock::Manual(m) => m.now_ms(),
        }
    }

    pub async fn sleep(&self, wait: Duration) {
        match self {
            Clock::System => tokio::time::sleep(wait).await,
            Clock::Manual(m) => {
                m.sleeps.lock().expect("not poisoned").push(wait);
                m.advance(wait);
            }
        }
    }

    /// Bits for jitter: they vary from call to call on the system clock and
    /// follow the time on a manual one (so its waits repeat run to run).
    pub fn jitter_seed(&self) -> u64 {
        match self {
            Clock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
                .into(),
            Clock::Manual(m) => m.now_ms(),
        }
    }
}

impl ManualClock {
    pub fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }

    pub fn advance(&self, by: Duration) {
        self.now_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().expect("not poisoned").clone()
    }
}

/// The wall clock in milliseconds since the Unix epoch.
pub fn system_now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_slept_on_or_advanced() {
        let (clock, handle) = Clock::manual();
        let start = clock.now_ms();
        assert!(start.abs_diff(system_now_ms()) < 60_000);
        futures::executor::block_on(clock.sleep(Duration::from_secs(90)));
        handle.advance(Duration::from_millis(5));
        assert_eq!(clock.now_ms(), start + 90_005);
        assert_eq!(handle.sleeps(), vec![Duration::from_secs(90)]);
        assert_eq!(clock.jitter_seed(), clock.jitter_seed());
    }
}
