//! How often and how long a request is retried, and `Retry-After`.

use std::time::Duration;

/// How often and how long to retry.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff; doubles with every retry, jittered to 50–100 %.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for more fails.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// For a command refreshing a stale snapshot on the way: one retry,
    /// short waits; the cached snapshot answers if that fails.
    pub fn quick() -> Self {
        RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(2),
        }
    }

    /// Debug builds only: `CALLBOARD_TEST_RETRY_DELAY_MS=N` makes every
    /// backoff N ms, so process tests of the binary need not wait out real
    /// backoffs (library tests pass a manual [`crate::clock::Clock`]
    /// instead). Release builds ignore it.
    pub(super) fn with_test_delay(self) -> Self {
        #[cfg(debug_assertions)]
        if let Some(ms) = std::env::var("CALLBOARD_TEST_RETRY_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            let delay = Duration::from_millis(ms);
            return RetryPolicy {
                base_delay: delay,
                max_delay: delay,
                ..self
            };
        }
        self
    }

    /// The wait before attempt `attempt + 1` (after `attempt` failures);
    /// `seed` picks the jitter ([`crate::clock::Clock::jitter_seed`]).
    pub(super) fn backoff(&self, attempt: u32, seed: u64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.max_delay);
        // Full-ish jitter: 50–100 % of the exponential delay.
        let mut x = seed ^ (u64::from(attempt) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let fraction = 0.5 + (x % 1000) as f64 / 2000.0;
        exp.mul_f64(fraction)
    }
}

/// `Retry-After`: seconds, or an HTTP date (compared with `now_ms`).
pub(super) fn parse_retry_after(value: &str, now_ms: u64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let now =
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000).ok()?;
    Some(if at > now {
        Duration::from_secs((at - now).whole_seconds().max(0) as u64)
    } else {
        Duration::ZERO
    })
}
