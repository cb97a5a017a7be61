//! Relative times ("3 minutes ago"), the same words on the server and in the browser so the
//! text does not jump when the page hydrates.

const MINUTE: i64 = 60 * 1000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn plural(n: i64, unit: &str) -> String {
    if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") }
}

/// "3 minutes", "2 hours", "5 days" (in whole units, rounded down); `None` under a minute.
fn span(ms: i64) -> Option<String> {
    match ms {
        ..MINUTE => None,
        ..HOUR => Some(plural(ms / MINUTE, "minute")),
        ..DAY => Some(plural(ms / HOUR, "hour")),
        _ => Some(plural(ms / DAY, "day")),
    }
}

/// "just now", "3 minutes ago", "2 hours ago", "5 days ago".
pub fn ago(now: i64, then: i64) -> String {
    span(now - then).map_or_else(|| "just now".to_owned(), |s| format!("{s} ago"))
}

/// "in 3 hours", "in 2 days" (for expiry).
pub fn within(now: i64, then: i64) -> String {
    span(then - now).map_or_else(|| "in less than a minute".to_owned(), |s| format!("in {s}"))
}

/// RFC 3339, for `<time datetime>`.
pub fn iso(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// "23 Nov 2026, 13:40 UTC": what the server can say before the browser knows its time zone.
pub fn utc(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"))
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(ago(10 * MINUTE, 10 * MINUTE - 5_000), "just now");
        assert_eq!(ago(10 * MINUTE, 9 * MINUTE), "1 minute ago");
        assert_eq!(ago(10 * MINUTE, 7 * MINUTE), "3 minutes ago");
        assert_eq!(ago(3 * HOUR, 0), "3 hours ago");
        assert_eq!(ago(2 * DAY + HOUR, 0), "2 days ago");
        assert_eq!(ago(0, 5 * MINUTE), "just now");
        assert_eq!(within(0, 3 * HOUR + 1), "in 3 hours");
        assert_eq!(utc(1_795_700_000_000), "26 Nov 2026, 13:33 UTC");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
    }
}
