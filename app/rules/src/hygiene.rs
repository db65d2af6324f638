//! The access-hygiene reports beside the dormant one, and their rules: which roles are
//! overloaded against their application, which permissions of non-human principals go
//! unused, and which principals' access bleeds across client accounts.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// One of the hygiene reports; its slug is its address under `/reports/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hygiene {
    Expiring,
    OverloadedRoles,
    Overreach,
    ClientBleed,
    SodViolations,
}

impl Hygiene {
    pub const ALL: [Hygiene; 5] = [
        Hygiene::Expiring,
        Hygiene::OverloadedRoles,
        Hygiene::Overreach,
        Hygiene::ClientBleed,
        Hygiene::SodViolations,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Hygiene::Expiring => "expiring",
            Hygiene::OverloadedRoles => "overloaded-roles",
            Hygiene::Overreach => "overreach",
            Hygiene::ClientBleed => "client-bleed",
            Hygiene::SodViolations => "sod-violations",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            Hygiene::Expiring => "Expiring access",
            Hygiene::OverloadedRoles => "Overloaded roles",
            Hygiene::Overreach => "Bot and agent overreach",
            Hygiene::ClientBleed => "Client bleed",
            Hygiene::SodViolations => "Separation-of-duties violations",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            Hygiene::Expiring => "Grants in force that end within the window, soonest first.",
            Hygiene::OverloadedRoles => {
                "Roles whose permissions or high-impact permissions are far above the median role of their application, with how many principals hold them."
            }
            Hygiene::Overreach => {
                "Permissions granted to AI agents, bots and integrations for longer than the window and not used within it."
            }
            Hygiene::ClientBleed => {
                "Principals holding grants on client accounts they are no longer assigned to, or on more client accounts than the organisation's limit."
            }
            Hygiene::SodViolations => {
                "Principals whose grants in force break a separation-of-duties rule, per account."
            }
        }
    }

    /// The window's presets and default, in days, for reports that have one.
    pub fn window(self) -> Option<(&'static [i32], i32)> {
        match self {
            Hygiene::Expiring => Some((&[7, 30], 30)),
            Hygiene::Overreach => Some((&[30, 60, 90], 90)),
            _ => None,
        }
    }

    pub fn filters_by_application(self) -> bool {
        matches!(
            self,
            Hygiene::Expiring | Hygiene::OverloadedRoles | Hygiene::Overreach
        )
    }

    /// Kinds of principal the report may be narrowed to (none: no kind filter).
    pub fn kinds(self) -> &'static [&'static str] {
        match self {
            Hygiene::Overreach => &["ai_agent", "bot", "integration"],
            Hygiene::Expiring | Hygiene::ClientBleed | Hygiene::SodViolations => {
                &crate::principals::PRINCIPAL_KINDS
            }
            Hygiene::OverloadedRoles => &[],
        }
    }
}

/// The median of the values (0 for none).
pub fn median(values: &[i64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2] as f64,
        n => (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0,
    }
}

/// Why a role is overloaded against its application's medians (empty: it is not). A role
/// is overloaded when it has at least twice the median number of permissions and three
/// more, or at least twice the median number of high-impact permissions and two more.
pub fn overload(
    permissions: i64,
    high_impact: i64,
    median_permissions: f64,
    median_high_impact: f64,
) -> Vec<String> {
    let mut why = Vec::new();
    let (p, h) = (permissions as f64, high_impact as f64);
    if p >= 2.0 * median_permissions && p >= median_permissions + 3.0 {
        why.push(format!(
            "{permissions} permissions against a median of {median_permissions}"
        ));
    }
    if h >= 2.0 * median_high_impact && h >= median_high_impact + 2.0 {
        why.push(format!(
            "{high_impact} high-impact permissions against a median of {median_high_impact}"
        ));
    }
    why
}

/// Whether a permission held since `granted_since` counts as unused over the window: it
/// was granted before the window began and not used within it.
pub fn unused(
    now: DateTime<Utc>,
    window_days: i32,
    granted_since: DateTime<Utc>,
    last_used: Option<DateTime<Utc>>,
) -> bool {
    let cutoff = now - Duration::days(i64::from(window_days));
    granted_since < cutoff && last_used.is_none_or(|at| at < cutoff)
}

/// Default for the organisation's limit of client accounts one principal may hold grants on.
pub const DEFAULT_CLIENT_ACCOUNT_LIMIT: i32 = 5;

/// Why a principal's access bleeds across clients (empty: it does not): grants on accounts
/// they are not assigned to, or on more client accounts than `limit`.
pub fn client_bleed(accounts_held: i64, unassigned: &[String], limit: i32) -> Vec<String> {
    let mut why = Vec::new();
    if !unassigned.is_empty() {
        why.push(format!("Not assigned to {}", unassigned.join(", ")));
    }
    if accounts_held > i64::from(limit) {
        why.push(format!(
            "Grants on {accounts_held} client accounts, over the limit of {limit}"
        ));
    }
    why
}

/// The client-account limit from the organisation's settings form.
pub fn parse_account_limit(raw: &str) -> Result<i32, String> {
    match raw.trim().parse::<i32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!(
            "Give the limit as a whole number of accounts from 1 to 1000; \u{201c}{}\u{201d} is not one.",
            raw.trim()
        )),
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
    fn slugs_round_trip_and_are_distinct() {
        for r in Hygiene::ALL {
            assert_eq!(Hygiene::from_slug(r.slug()), Some(r));
        }
        assert_eq!(Hygiene::from_slug("dormant"), None);
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[5, 1, 3]), 3.0);
        assert_eq!(median(&[4, 1, 3, 2]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn a_role_is_overloaded_at_twice_the_median_and_a_margin() {
        assert_eq!(overload(8, 0, 4.0, 0.0).len(), 1, "twice and 4 more");
        assert!(overload(7, 0, 4.0, 0.0).is_empty(), "under twice");
        assert!(
            overload(4, 0, 2.0, 0.0).is_empty(),
            "twice but only 2 more: small roles are not overloaded"
        );
        assert!(overload(5, 0, 2.0, 0.0)[0].starts_with("5 permissions"));
        assert!(
            overload(3, 1, 3.0, 0.0).is_empty(),
            "one high-impact is not"
        );
        let why = overload(3, 2, 3.0, 0.0);
        assert_eq!(why, ["2 high-impact permissions against a median of 0"]);
        assert_eq!(overload(20, 6, 5.0, 2.0).len(), 2);
        assert_eq!(overload(20, 4, 5.0, 2.5).len(), 1, "4 is under twice 2.5");
    }

    #[test]
    fn permissions_are_unused_when_granted_before_the_window_and_not_used_in_it() {
        let long_ago = at("2026-01-01T00:00:00Z");
        assert!(unused(at(NOW), 30, long_ago, None), "never used");
        assert!(unused(
            at(NOW),
            30,
            long_ago,
            Some(at("2026-10-25T11:59:59Z"))
        ));
        assert!(
            !unused(at(NOW), 30, long_ago, Some(at("2026-10-25T12:00:00Z"))),
            "exactly 30 days ago is inside the window"
        );
        assert!(
            !unused(at(NOW), 30, at("2026-11-01T00:00:00Z"), None),
            "granted within the window: too early to say"
        );
    }

    #[test]
    fn client_bleed_names_unassigned_accounts_and_the_limit() {
        assert!(client_bleed(5, &[], 5).is_empty(), "at the limit is fine");
        assert_eq!(
            client_bleed(6, &[], 5),
            ["Grants on 6 client accounts, over the limit of 5"]
        );
        let why = client_bleed(2, &["Client 03".into(), "Client 09".into()], 5);
        assert_eq!(why, ["Not assigned to Client 03, Client 09"]);
        assert_eq!(client_bleed(7, &["Client 03".into()], 5).len(), 2);
    }

    #[test]
    fn the_account_limit_is_a_bounded_number() {
        assert_eq!(parse_account_limit(" 8 "), Ok(8));
        assert!(parse_account_limit("0").is_err());
        assert!(parse_account_limit("many")
            .unwrap_err()
            .contains("1 to 1000"));
    }
}
