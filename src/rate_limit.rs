//! A client-side copy of the portal's request limiter, so that a page can
//! space its own requests instead of meeting `QUERY_LIMIT_EXCEEDED`.
//!
//! A cloud portal counts the requests from each IP address in a leaky
//! bucket: every request adds one, the count drains at a fixed rate, and a
//! request that finds the count above the limit gets HTTP 503
//! `QUERY_LIMIT_EXCEEDED`. Enterprise plans drain 5 requests per second and
//! block above 250; every other plan drains 2 per second and blocks above 50
//! (Bitrix24 REST documentation, `limits.md` in bitrix24/b24restdocs).
//! Other applications on the same IP address share the portal's count, and
//! this bucket cannot see their requests.

use crate::error::WatchError;
use crate::value::number_text;

/// The drain rate of most plans, in requests per second.
pub const DEFAULT_RATE_PER_S: f64 = 2.0;
/// How many requests most plans let queue up before they block.
pub const DEFAULT_BURST: u32 = 50;
/// The drain rate of Enterprise plans, in requests per second.
pub const ENTERPRISE_RATE_PER_S: f64 = 5.0;
/// How many requests Enterprise plans let queue up before they block.
pub const ENTERPRISE_BURST: u32 = 250;

/// A leaky bucket that returns how long each request must wait.
///
/// It is the generic cell rate algorithm: the bucket keeps the time at which
/// it would be empty again, and a request may go once that time is no more
/// than `burst − 1` drain intervals ahead. All times are in milliseconds in
/// the caller's clock.
#[derive(Clone, Debug, PartialEq)]
pub struct LeakyBucket {
    /// Milliseconds for the bucket to drain one request.
    drain_interval_ms: f64,
    /// How far ahead of now the empty time may be for a request to go at once.
    tolerance_ms: f64,
    /// When the bucket is empty again, counting every request accepted so far.
    empty_at_ms: f64,
    /// The latest time seen, so that a clock that goes back never adds a wait.
    latest_now_ms: f64,
}

impl LeakyBucket {
    /// Creates a bucket that drains `rate_per_s` requests per second and lets
    /// up to `burst` requests queue.
    ///
    /// # Errors
    ///
    /// An [`ErrorKind::InvalidArgument`](crate::error::ErrorKind) error when
    /// `rate_per_s` is not a finite number above 0 or `burst` is 0.
    pub fn new(rate_per_s: f64, burst: u32) -> Result<LeakyBucket, WatchError> {
        if !(rate_per_s.is_finite() && rate_per_s > 0.0) {
            return Err(WatchError::invalid_argument(format!(
                "invalid rate limit: rate_per_s is {}; expected a finite number of \
                 requests per second above 0, such as {} (most plans) or {} (Enterprise)",
                number_text(rate_per_s),
                number_text(DEFAULT_RATE_PER_S),
                number_text(ENTERPRISE_RATE_PER_S)
            )));
        }
        if burst == 0 {
            return Err(WatchError::invalid_argument(format!(
                "invalid rate limit: burst is 0; expected at least 1 queued request, such as \
                 {DEFAULT_BURST} (most plans) or {ENTERPRISE_BURST} (Enterprise)"
            )));
        }
        Ok(LeakyBucket::with_valid_limits(rate_per_s, burst))
    }

    /// Creates the bucket of most plans: 2 requests per second, 50 queued.
    pub fn standard() -> LeakyBucket {
        LeakyBucket::with_valid_limits(DEFAULT_RATE_PER_S, DEFAULT_BURST)
    }

    /// Creates the bucket of Enterprise plans: 5 requests per second, 250 queued.
    pub fn enterprise() -> LeakyBucket {
        LeakyBucket::with_valid_limits(ENTERPRISE_RATE_PER_S, ENTERPRISE_BURST)
    }

    fn with_valid_limits(rate_per_s: f64, burst: u32) -> LeakyBucket {
        let drain_interval_ms = 1_000.0 / rate_per_s;
        LeakyBucket {
            drain_interval_ms,
            tolerance_ms: f64::from(burst.saturating_sub(1)) * drain_interval_ms,
            empty_at_ms: f64::NEG_INFINITY,
            latest_now_ms: f64::NEG_INFINITY,
        }
    }

    /// Books one request made at `now_ms` and returns how many milliseconds
    /// it must wait before it goes: 0 when the bucket has room.
    ///
    /// The bucket counts the request from the moment it goes, so a caller
    /// must send it after the returned wait, and must not call `acquire`
    /// again for the same request. A `now_ms` that is not finite, or earlier
    /// than one seen before, reads as the latest time seen.
    pub fn acquire(&mut self, now_ms: f64) -> u64 {
        if now_ms.is_finite() {
            self.latest_now_ms = self.latest_now_ms.max(now_ms);
        }
        let now_ms = if self.latest_now_ms.is_finite() {
            self.latest_now_ms
        } else {
            0.0
        };

        let empty_at_ms = self.empty_at_ms.max(now_ms);
        let go_at_ms = empty_at_ms - self.tolerance_ms;
        let wait_ms = (go_at_ms - now_ms).max(0.0);
        self.empty_at_ms = empty_at_ms + self.drain_interval_ms;
        // `as` saturates, so an absurd backlog cannot wrap around.
        wait_ms.ceil() as u64
    }
}

impl Default for LeakyBucket {
    fn default() -> Self {
        LeakyBucket::standard()
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]

    use super::*;
    use crate::error::ErrorKind;

    /// Calls `acquire` `count` times at `now_ms` and returns the waits.
    fn acquire_many(bucket: &mut LeakyBucket, now_ms: f64, count: usize) -> Vec<u64> {
        (0..count).map(|_| bucket.acquire(now_ms)).collect()
    }

    #[test]
    fn burst_goes_at_once() {
        let mut bucket = LeakyBucket::new(2.0, 50).unwrap();

        let waits = acquire_many(&mut bucket, 0.0, 50);

        assert!(waits.iter().all(|&wait| wait == 0), "waits: {waits:?}");
    }

    #[test]
    fn request_after_burst_waits_one_drain() {
        let mut bucket = LeakyBucket::new(2.0, 50).unwrap();
        acquire_many(&mut bucket, 0.0, 50);

        assert_eq!(bucket.acquire(0.0), 500);
        assert_eq!(bucket.acquire(0.0), 1_000);
    }

    #[test]
    fn bucket_drains_over_time() {
        let mut bucket = LeakyBucket::new(2.0, 50).unwrap();
        acquire_many(&mut bucket, 0.0, 50);

        // Ten seconds drain 20 requests, so 20 more go at once.
        let waits = acquire_many(&mut bucket, 10_000.0, 20);
        assert!(waits.iter().all(|&wait| wait == 0), "waits: {waits:?}");
        assert_eq!(bucket.acquire(10_000.0), 500);
    }

    #[test]
    fn idle_bucket_empties() {
        let mut bucket = LeakyBucket::new(2.0, 50).unwrap();
        acquire_many(&mut bucket, 0.0, 60);

        let waits = acquire_many(&mut bucket, 3_600_000.0, 50);

        assert!(waits.iter().all(|&wait| wait == 0), "waits: {waits:?}");
    }

    #[test]
    fn steady_rate_never_waits() {
        let mut bucket = LeakyBucket::standard();

        for request in 0..1_000 {
            assert_eq!(
                bucket.acquire(f64::from(request) * 500.0),
                0,
                "request {request}"
            );
        }
    }

    #[test]
    fn partial_drain_shortens_wait() {
        let mut bucket = LeakyBucket::new(2.0, 50).unwrap();
        acquire_many(&mut bucket, 0.0, 50);

        assert_eq!(bucket.acquire(200.0), 300);
    }

    #[test]
    fn enterprise_preset_limits() {
        let mut bucket = LeakyBucket::enterprise();

        let waits = acquire_many(&mut bucket, 0.0, 250);
        assert!(waits.iter().all(|&wait| wait == 0), "waits: {waits:?}");
        assert_eq!(bucket.acquire(0.0), 200);
        assert_eq!(
            LeakyBucket::enterprise(),
            LeakyBucket::new(5.0, 250).unwrap()
        );
    }

    #[test]
    fn default_is_standard_plan() {
        assert_eq!(LeakyBucket::default(), LeakyBucket::new(2.0, 50).unwrap());
        assert_eq!(
            LeakyBucket::standard(),
            LeakyBucket::new(DEFAULT_RATE_PER_S, DEFAULT_BURST).unwrap()
        );
    }

    #[test]
    fn burst_of_one_spaces_requests() {
        let mut bucket = LeakyBucket::new(4.0, 1).unwrap();

        assert_eq!(acquire_many(&mut bucket, 0.0, 3), vec![0, 250, 500]);
    }

    #[test]
    fn invalid_rate_rejected() {
        for rate in [0.0, -2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = LeakyBucket::new(rate, 50).unwrap_err();

            assert_eq!(error.kind, ErrorKind::InvalidArgument, "rate {rate}");
            assert!(
                error.message.contains(&format!("rate_per_s is {rate}")),
                "message: {}",
                error.message
            );
        }
    }

    #[test]
    fn zero_burst_rejected() {
        let error = LeakyBucket::new(2.0, 0).unwrap_err();

        assert_eq!(error.kind, ErrorKind::InvalidArgument);
        assert!(
            error.message.contains("burst is 0"),
            "message: {}",
            error.message
        );
    }

    #[test]
    fn clock_going_back_adds_no_wait() {
        let mut bucket = LeakyBucket::new(2.0, 2).unwrap();
        assert_eq!(bucket.acquire(10_000.0), 0);

        assert_eq!(bucket.acquire(0.0), 0);
        assert_eq!(bucket.acquire(0.0), 500);
    }

    #[test]
    fn non_finite_time_reads_as_latest() {
        let mut bucket = LeakyBucket::new(2.0, 1).unwrap();
        assert_eq!(bucket.acquire(1_000.0), 0);

        assert_eq!(bucket.acquire(f64::NAN), 500);
        assert_eq!(bucket.acquire(f64::INFINITY), 1_000);
    }

    #[test]
    fn non_finite_time_first_is_zero() {
        let mut bucket = LeakyBucket::new(2.0, 1).unwrap();

        assert_eq!(bucket.acquire(f64::NAN), 0);
        assert_eq!(bucket.acquire(0.0), 500);
    }
}
