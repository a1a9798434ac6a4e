//! [`parse_retry_after`]: the wait a `Retry-After` header asks for; [`retry_after_in`]:
//! the wait a response's headers ask for, `retry-after-ms` included.

use std::time::{Duration, SystemTime};

/// The wait a `Retry-After` header's value asks for, `now` being when the answer came:
/// a number of seconds in digits (`"2"`, or `"1.5"` as some services send), or an HTTP
/// date (RFC 9110's `"Sun, 06 Nov 1994 08:49:37 GMT"`, or one of its two obsolete
/// forms).
///
/// A value that is neither (`"+5"`, `"1e3"`, `"soon"`), or a date already past, asks
/// for no wait: `None`, and a retry backs off as usual. (A past date is most often a
/// clock that differs from the server's: backing off is the safer reading of it. `"0"`
/// is the server's own "now".) A wait too long for a `Duration` is `Duration::MAX`,
/// which no chain waits for (over [`MAX_RETRY_AFTER`](crate::MAX_RETRY_AFTER), it moves
/// on at once).
///
/// Read it where the answer is turned into your error, and hand it back with
/// `retry_after = ..`:
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use std::time::{Duration, SystemTime};
/// use fallbacks::parse_retry_after;
///
/// // Sun, 06 Nov 1994 08:49:37 GMT
/// let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
/// assert_eq!(parse_retry_after(" 1.5 ", now), Some(Duration::from_millis(1500)));
/// assert_eq!(
///     parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
///     Some(Duration::from_secs(3))
/// );
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Some(seconds) = number(value) {
        return Some(seconds_as_duration(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    date.duration_since(now).ok()
}

/// The wait a response's headers ask for: `retry-after-ms` (in milliseconds, as OpenAI
/// and Azure OpenAI send it) if it is a number, else `Retry-After` as
/// [`parse_retry_after`] reads it. `header(name)` gives a header's value by its
/// lowercase name, whatever the HTTP client: with `reqwest` or `http`,
/// `|name| response.headers().get(name)?.to_str().ok()`.
///
/// ```
/// # extern crate fallback_core as fallbacks;
/// use std::time::{Duration, SystemTime};
/// use fallbacks::retry_after_in;
///
/// let headers = [("retry-after-ms", "250"), ("retry-after", "1")];
/// let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
/// assert_eq!(retry_after_in(header, SystemTime::now()), Some(Duration::from_millis(250)));
///
/// let header = |name: &str| (name == "retry-after").then_some("2");
/// assert_eq!(retry_after_in(header, SystemTime::now()), Some(Duration::from_secs(2)));
/// assert_eq!(retry_after_in(|_| None, SystemTime::now()), None);
/// ```
pub fn retry_after_in<'a>(
    header: impl Fn(&'static str) -> Option<&'a str>,
    now: SystemTime,
) -> Option<Duration> {
    if let Some(millis) = header("retry-after-ms").and_then(|value| number(value.trim())) {
        return Some(seconds_as_duration(millis / 1000.0));
    }
    parse_retry_after(header("retry-after")?, now)
}

/// A number in digits, with an optional fraction (`"2"`, `"1.5"`): nothing else (no
/// sign, exponent, `inf` or `NaN`, which `f64`'s parser would take).
fn number(value: &str) -> Option<f64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    (digits(whole) && digits(fraction))
        .then(|| value.parse().ok())
        .flatten()
}

/// Seconds as a wait; too many of them (too many digits), the longest one.
fn seconds_as_duration(seconds: f64) -> Duration {
    Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date.
    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn seconds_and_dates_in_each_of_the_three_forms() {
        let wait = |value| parse_retry_after(value, now());
        assert_eq!(wait("0"), Some(Duration::ZERO));
        assert_eq!(wait("120"), Some(Duration::from_secs(120)));
        assert_eq!(wait("0.25"), Some(Duration::from_millis(250)));
        let three = Some(Duration::from_secs(3));
        assert_eq!(wait("Sun, 06 Nov 1994 08:49:40 GMT"), three);
        assert_eq!(wait("Sunday, 06-Nov-94 08:49:40 GMT"), three);
        assert_eq!(wait("Sun Nov  6 08:49:40 1994"), three);
    }

    #[test]
    fn what_asks_for_no_wait_is_none_and_too_long_is_the_longest() {
        let wait = |value| parse_retry_after(value, now());
        let unreadable = [
            "",
            "soon",
            "-1",
            "+5",
            "1e3",
            "NaN",
            "inf",
            "1.",
            ".5",
            "2 seconds",
        ];
        for value in unreadable {
            assert_eq!(wait(value), None, "{value:?}");
        }
        // A date already past.
        assert_eq!(wait("Sun, 06 Nov 1994 08:49:00 GMT"), None);
        let too_long = "9".repeat(400);
        assert_eq!(wait(&too_long), Some(Duration::MAX));
        assert_eq!(wait("18446744073709551616"), Some(Duration::MAX));
    }

    #[test]
    fn retry_after_ms_comes_first_and_reads_only_digits() {
        let wait = |headers: &[(&str, &str)]| {
            let header = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
            retry_after_in(header, now())
        };
        let ms = |millis| Some(Duration::from_millis(millis));
        assert_eq!(
            wait(&[("retry-after-ms", "250"), ("retry-after", "9")]),
            ms(250)
        );
        assert_eq!(
            wait(&[("retry-after-ms", " 1.5 ")]),
            Some(Duration::from_micros(1500))
        );
        assert_eq!(wait(&[("retry-after", "2")]), Some(Duration::from_secs(2)));
        let three = Some(Duration::from_secs(3));
        assert_eq!(
            wait(&[("retry-after", "Sun, 06 Nov 1994 08:49:40 GMT")]),
            three
        );
        // A `retry-after-ms` that is not a number is not there: `Retry-After` is read.
        for unreadable in ["-1", "1e3", "inf", "NaN", "soon", ""] {
            assert_eq!(
                wait(&[("retry-after-ms", unreadable), ("retry-after", "2")]),
                Some(Duration::from_secs(2)),
                "{unreadable:?}"
            );
            assert_eq!(
                wait(&[("retry-after-ms", unreadable)]),
                None,
                "{unreadable:?}"
            );
        }
        assert_eq!(
            wait(&[("retry-after-ms", &"9".repeat(400))]),
            Some(Duration::MAX)
        );
        assert_eq!(wait(&[]), None);
    }
}
