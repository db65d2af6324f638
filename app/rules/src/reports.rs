//! Report rules: when a principal counts as dormant, and the windows a report may use.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Dormancy windows offered as presets, in days.
pub const WINDOWS: [i32; 3] = [30, 60, 90];
pub const DEFAULT_WINDOW: i32 = 90;
/// A custom window may be this long at most (ten years).
pub const MAX_WINDOW: i32 = 3650;

/// Why a principal is in the dormant report; the first that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dormancy {
    /// A contractor or client user (or anyone with an end date) past it and still active.
    PastEndDate,
    /// Never seen, and known for longer than the window.
    NeverActive,
    /// Last seen before the window.
    Inactive,
}

impl Dormancy {
    pub fn label(self) -> &'static str {
        match self {
            Dormancy::PastEndDate => "Past end date",
            Dormancy::NeverActive => "Never active",
            Dormancy::Inactive => "Inactive",
        }
    }
}

/// The window in days from the report's `days` parameter (empty: the default).
pub fn parse_window(raw: &str) -> Result<i32, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(DEFAULT_WINDOW);
    }
    match raw.parse::<i32>() {
        Ok(days) if (1..=MAX_WINDOW).contains(&days) => Ok(days),
        _ => Err(format!(
            "Give the window as a number of days from 1 to {MAX_WINDOW}; \u{201c}{raw}\u{201d} is not one."
        )),
    }
}

/// The rule the report's query applies, for one principal at `now`.
pub fn dormancy(
    now: DateTime<Utc>,
    window_days: i32,
    last_activity: Option<DateTime<Utc>>,
    known_since: DateTime<Utc>,
    end_date: Option<NaiveDate>,
) -> Option<Dormancy> {
    let cutoff = now - Duration::days(i64::from(window_days));
    if end_date.is_some_and(|end| end < now.date_naive()) {
        return Some(Dormancy::PastEndDate);
    }
    match last_activity {
        None if known_since < cutoff => Some(Dormancy::NeverActive),
        Some(at) if at < cutoff => Some(Dormancy::Inactive),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const NOW: &str = "2026-11-24T12:00:00Z";

    #[test]
    fn activity_inside_the_window_is_not_dormant() {
        let created = at("2025-01-01T00:00:00Z");
        let seen = |s| dormancy(at(NOW), 30, Some(at(s)), created, None);
        assert_eq!(seen("2026-10-25T12:00:01Z"), None);
        assert_eq!(
            seen("2026-10-25T12:00:00Z"),
            None,
            "exactly 30 days is still inside"
        );
        assert_eq!(seen("2026-10-25T11:59:59Z"), Some(Dormancy::Inactive));
        assert_eq!(
            dormancy(at(NOW), 90, Some(at("2026-10-01T00:00:00Z")), created, None),
            None
        );
    }

    #[test]
    fn never_active_counts_once_the_principal_is_older_than_the_window() {
        assert_eq!(
            dormancy(at(NOW), 30, None, at("2026-10-01T00:00:00Z"), None),
            Some(Dormancy::NeverActive)
        );
        assert_eq!(
            dormancy(at(NOW), 30, None, at("2026-11-20T00:00:00Z"), None),
            None
        );
    }

    #[test]
    fn a_past_end_date_comes_first_even_when_active() {
        let recent = Some(at("2026-11-24T08:00:00Z"));
        let created = at("2026-01-01T00:00:00Z");
        let end = |d: &str| Some(d.parse::<NaiveDate>().unwrap());
        assert_eq!(
            dormancy(at(NOW), 30, recent, created, end("2026-11-23")),
            Some(Dormancy::PastEndDate)
        );
        assert_eq!(
            dormancy(at(NOW), 30, recent, created, end("2026-11-24")),
            None,
            "the end day itself still counts"
        );
    }

    #[test]
    fn windows_are_bounded() {
        assert_eq!(parse_window(""), Ok(DEFAULT_WINDOW));
        assert_eq!(parse_window(" 45 "), Ok(45));
        assert!(parse_window("0").unwrap_err().contains("1 to 3650"));
        assert!(parse_window("forty").is_err());
        assert!(parse_window("3651").is_err());
    }
}
