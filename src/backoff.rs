//! Delays between retries after transient errors.

/// The first retry waits up to this long, unless the poll interval is shorter.
pub const BASE_DELAY_MS: u64 = 1_000;
/// No retry waits longer than this, unless the poll interval is longer.
pub const MAX_DELAY_MS: u64 = 60_000;

/// Returns the delay before retry number `attempt` (1 for the first retry),
/// with full jitter: a uniform draw between zero and an exponential ceiling.
/// Jitter keeps many pages that failed together from retrying together.
///
/// `random` is a uniform draw from `[0, 1)`; the caller supplies it so that
/// tests are deterministic. The ceiling starts at `min(BASE_DELAY_MS,
/// interval_ms)` and doubles per attempt up to `max(interval_ms, MAX_DELAY_MS)`
/// scaled down for short intervals, so a watch polling every 10 ms in a test
/// also retries within tens of milliseconds.
pub fn retry_delay_ms(attempt: u32, interval_ms: u64, min_delay_ms: u64, random: f64) -> u64 {
    let base = BASE_DELAY_MS.min(interval_ms).max(1);
    let cap = MAX_DELAY_MS.min(interval_ms.saturating_mul(10)).max(interval_ms).max(base);
    let exponent = attempt.saturating_sub(1).min(30);
    let ceiling = base.saturating_mul(1u64 << exponent).min(cap);
    let random = if random.is_finite() { random.clamp(0.0, 1.0) } else { 0.5 };
    let jittered = (ceiling as f64 * random) as u64;
    jittered.max(min_delay_ms.min(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_per_attempt() {
        assert_eq!(retry_delay_ms(1, 60_000, 0, 0.999_999), 999);
        assert_eq!(retry_delay_ms(2, 60_000, 0, 0.999_999), 1_999);
        assert_eq!(retry_delay_ms(3, 60_000, 0, 0.999_999), 3_999);
    }

    #[test]
    fn ceiling_stops_at_cap() {
        assert_eq!(retry_delay_ms(30, 60_000, 0, 0.999_999), 59_999);
        assert_eq!(retry_delay_ms(u32::MAX, 60_000, 0, 0.999_999), 59_999);
    }

    #[test]
    fn short_interval_scales_delays() {
        assert_eq!(retry_delay_ms(1, 10, 0, 0.5), 5);
        assert!(retry_delay_ms(20, 10, 0, 0.999) <= 100);
    }

    #[test]
    fn jitter_spans_zero_to_ceiling() {
        assert_eq!(retry_delay_ms(3, 60_000, 0, 0.0), 0);
        assert_eq!(retry_delay_ms(3, 60_000, 0, 0.5), 2_000);
    }

    #[test]
    fn minimum_delay_applies() {
        assert_eq!(retry_delay_ms(3, 60_000, 2_000, 0.0), 2_000);
        // The minimum never lifts the delay above the ceiling.
        assert_eq!(retry_delay_ms(1, 60_000, 2_000, 0.0), 1_000);
    }

    #[test]
    fn bad_random_is_tamed() {
        assert_eq!(retry_delay_ms(1, 60_000, 0, f64::NAN), 500);
        assert_eq!(retry_delay_ms(1, 60_000, 0, 7.0), 1_000);
    }
}

/// Reads a `Retry-After` header: delay seconds, or an HTTP date compared
/// with `now_ms` (Unix milliseconds). Returns the delay in milliseconds,
/// capped at ten minutes so that a bogus header cannot stall a watch.
pub fn parse_retry_after(header: &str, now_ms: f64) -> Option<u64> {
    const MAX_HINT_MS: u64 = 600_000;
    let header = header.trim();
    if let Ok(seconds) = header.parse::<u64>() {
        return Some(seconds.saturating_mul(1000).min(MAX_HINT_MS));
    }
    let at_ms = parse_http_date_ms(header)?;
    Some(((at_ms - now_ms).max(0.0) as u64).min(MAX_HINT_MS))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) into Unix ms.
fn parse_http_date_ms(text: &str) -> Option<f64> {
    let mut parts = text.split_whitespace();
    let _weekday = parts.next()?;
    let day: i64 = parts.next()?.parse().ok()?;
    let month = match parts.next()? {
        "Jan" => 1, "Feb" => 2, "Mar" => 3, "Apr" => 4, "May" => 5, "Jun" => 6,
        "Jul" => 7, "Aug" => 8, "Sep" => 9, "Oct" => 10, "Nov" => 11, "Dec" => 12,
        _ => return None,
    };
    let year: i64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|part| part.parse::<i64>().ok());
    let (hour, minute, second) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT" || !(1..=31).contains(&day) {
        return None;
    }

    // Days from the civil date, after Howard Hinnant's `days_from_civil`.
    let shifted_year = if month <= 2 { year - 1 } else { year };
    let era = shifted_year.div_euclid(400);
    let year_of_era = shifted_year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    Some(seconds as f64 * 1000.0)
}

#[cfg(test)]
mod retry_after_tests {
    use super::*;

    #[test]
    fn seconds_form() {
        assert_eq!(parse_retry_after("1", 0.0), Some(1_000));
        assert_eq!(parse_retry_after(" 30 ", 0.0), Some(30_000));
        assert_eq!(parse_retry_after("999999", 0.0), Some(600_000));
    }

    #[test]
    fn http_date_form() {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        let now_ms = 784_111_777_000.0 - 5_000.0;
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now_ms), Some(5_000));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now_ms + 60_000.0), Some(0));
    }

    #[test]
    fn garbage_is_ignored() {
        assert_eq!(parse_retry_after("soon", 0.0), None);
        assert_eq!(parse_retry_after("-1", 0.0), None);
        assert_eq!(parse_retry_after("Sun, 99 Nov 1994 08:49:37 GMT", 0.0), None);
    }
}
