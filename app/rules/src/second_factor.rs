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
