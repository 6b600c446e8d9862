//! When to try a portal request again, and how long to wait first.
//!
//! Only failures that say nothing about the request itself are retried: timeouts,
//! connection errors, 408, 429 and 5xx other than 501. Waits grow exponentially, are
//! capped, and are drawn at random below the cap ("full jitter") so that many clients
//! do not retry in step; a `Retry-After` header wins when the portal sends one.

use std::time::Duration;

/// The retry policy of one client.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(30),
        }
    }
}

/// Whether an HTTP status is worth another attempt.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429) || (500..600).contains(&status) && status != 501
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (attempt counts from 1), given the portal's
    /// `Retry-After` if any. `random` is a number in [0, 1).
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>, random: f64) -> Duration {
        if let Some(after) = retry_after {
            // Honoured, but not past four caps: a portal asking for an hour is down.
            return after.min(self.cap * 4);
        }
        let exp = self.base.saturating_mul(1u32 << attempt.min(16));
        exp.min(self.cap).mul_f64(random.clamp(0.0, 1.0))
    }
}

/// Reads `Retry-After`: delay-seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [200, 400, 403, 404, 409, 415, 501] {
            assert!(!retryable_status(s), "{s}");
        }
    }

    #[test]
    fn backoff_is_capped_jittered_and_honours_retry_after() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        assert_eq!(p.backoff(1, None, 0.5), Duration::from_millis(100));
        assert_eq!(
            p.backoff(10, None, 0.999),
            Duration::from_secs(1).mul_f64(0.999)
        );
        assert_eq!(p.backoff(10, None, 0.0), Duration::ZERO);
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(2)), 0.0),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(3600)), 0.0),
            Duration::from_secs(4)
        );
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sat, 28 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
