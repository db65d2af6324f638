//! An organisation's second-factor policy: the console roles whose holders must sign in
//! with a second factor, and the grace period they have to set one up. Past it, such a
//! user without one may only set one up (and sign out).

use chrono::{DateTime, Duration, Utc};

use crate::console::ConsoleRole;

/// Roles that need a second factor unless the organisation says otherwise.
pub const DEFAULT_ROLES: [ConsoleRole; 2] = [
    ConsoleRole::GovernanceAdmin,
    ConsoleRole::DataProtectionOfficer,
];
/// The longest grace period an organisation may give.
pub const MAX_GRACE_DAYS: i32 = 90;

/// When a user holding `roles` must have a second factor by, if any of their roles
/// needs one and they have none.
pub fn due(
    roles: &[String],
    has_second_factor: bool,
    required: &[String],
    policy_since: DateTime<Utc>,
    grace_days: i32,
) -> Option<DateTime<Utc>> {
    let needed = roles.iter().any(|r| required.contains(r));
    (needed && !has_second_factor)
        .then(|| policy_since + Duration::days(i64::from(grace_days.clamp(0, MAX_GRACE_DAYS))))
}

/// The operations a user who owes a second factor may still call: signing in and out,
/// and their own sign-in security.
pub fn open_while_owed(path: &str) -> bool {
    path.starts_with("/api/auth/") || path.starts_with("/api/security/")
}

/// How recently a session must have proved its second factor for a risky action
/// (approving high-impact or console access, erasing a data subject, making an API
/// token, changing this policy).
pub const STEP_UP_WITHIN: Duration = Duration::minutes(15);

/// Whether a risky action must first ask for a second factor: of anyone who has one,
/// unless their session proved it within [`STEP_UP_WITHIN`]. A password-only session
/// that has just set up a factor has not proved one (else whoever holds a stolen
/// session could set up their own app and act at once).
pub fn step_up_needed(
    has_second_factor: bool,
    proved_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    has_second_factor && !proved_at.is_some_and(|at| at <= now && now - at < STEP_UP_WITHIN)
}

/// The roles named by an organisation's choice, refusing names that are not console
/// roles; answers them in the catalogue's order.
pub fn parse_roles(chosen: &[String]) -> Result<Vec<String>, String> {
    let mut roles = Vec::new();
    for role in ConsoleRole::ALL {
        if chosen.iter().any(|c| c == role.name()) {
            roles.push(role.name().to_string());
        }
    }
    match chosen
        .iter()
        .find(|c| !ConsoleRole::ALL.iter().any(|r| r.name() == c.as_str()))
    {
        Some(unknown) => Err(format!("{unknown:?} is not a console role.")),
        None => Ok(roles),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(roles: &[ConsoleRole]) -> Vec<String> {
        roles.iter().map(|r| r.name().to_string()).collect()
    }

    #[test]
    fn only_holders_of_a_chosen_role_without_a_factor_owe_one() {
        let since = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let required = names(&DEFAULT_ROLES);
        let admin = names(&[ConsoleRole::GovernanceAdmin]);
        let approver = names(&[ConsoleRole::Approver]);
        assert_eq!(
            due(&admin, false, &required, since, 14),
            Some(since + Duration::days(14))
        );
        assert_eq!(due(&admin, true, &required, since, 14), None);
        assert_eq!(due(&approver, false, &required, since, 14), None);
        assert_eq!(due(&admin, false, &[], since, 14), None);
        // The grace period is kept within its bounds whatever is stored.
        assert_eq!(due(&admin, false, &required, since, -5), Some(since));
        assert_eq!(
            due(&admin, false, &required, since, 1000),
            Some(since + Duration::days(90))
        );
    }

    #[test]
    fn a_user_who_owes_a_factor_may_only_set_one_up() {
        assert!(open_while_owed("/api/security/totp/start"));
        assert!(open_while_owed("/api/auth/logout"));
        assert!(!open_while_owed("/api/grants/create"));
        assert!(!open_while_owed("/audit/checkpoint.json"));
    }

    #[test]
    fn risky_actions_ask_again_after_fifteen_minutes_of_those_with_a_factor() {
        let now = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ago = |m: i64| Some(now - Duration::minutes(m));
        assert!(!step_up_needed(true, ago(0), now));
        assert!(!step_up_needed(true, ago(14), now));
        assert!(step_up_needed(true, ago(15), now));
        assert!(step_up_needed(true, None, now));
        // A proof dated in the future (a clock gone wrong) proves nothing.
        assert!(step_up_needed(true, Some(now + Duration::minutes(1)), now));
        // Nothing to ask of someone without a factor: the policy decides whether they need one.
        assert!(!step_up_needed(false, None, now));
    }

    #[test]
    fn chosen_roles_are_console_roles() {
        let chosen = vec![
            "Data Protection Officer".to_string(),
            "Approver".to_string(),
        ];
        assert_eq!(
            parse_roles(&chosen).unwrap(),
            vec![
                "Approver".to_string(),
                "Data Protection Officer".to_string()
            ]
        );
        assert!(parse_roles(&["Root".to_string()]).is_err());
        assert_eq!(parse_roles(&[]).unwrap(), Vec::<String>::new());
    }
}
