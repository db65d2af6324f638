//! Effective permissions: what a principal may do right now, and which grants say so.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One permission reached through one grant (through its role or permission set).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantedPermission {
    pub grant_id: Uuid,
    /// `None` scopes the grant to every account of the organisation.
    pub account_id: Option<Uuid>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub permission: String,
}

/// A permission the principal holds on a scope, with every grant that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectivePermission {
    pub account_id: Option<Uuid>,
    pub permission: String,
    pub grant_ids: Vec<Uuid>,
}

/// Whether a grant counts at `now`: started, not yet ended, not revoked.
pub fn grant_in_force(
    valid_from: DateTime<Utc>,
    valid_until: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let revoked = revoked_at.is_some_and(|at| at <= now);
    valid_from <= now && valid_until.is_none_or(|until| now < until) && !revoked
}

/// Folds the granted permissions that are in force at `now` into one entry per
/// (scope, permission), ordered by scope then permission.
pub fn effective_permissions(
    granted: &[GrantedPermission],
    now: DateTime<Utc>,
) -> Vec<EffectivePermission> {
    let mut by_key: BTreeMap<(Option<Uuid>, &str), Vec<Uuid>> = BTreeMap::new();
    for g in granted
        .iter()
        .filter(|g| grant_in_force(g.valid_from, g.valid_until, g.revoked_at, now))
    {
        let sources = by_key.entry((g.account_id, &g.permission)).or_default();
        if !sources.contains(&g.grant_id) {
            sources.push(g.grant_id);
        }
    }
    by_key
        .into_iter()
        .map(|((account_id, permission), mut grant_ids)| {
            grant_ids.sort();
            EffectivePermission {
                account_id,
                permission: permission.to_string(),
                grant_ids,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn granted(grant: u128, perm: &str) -> GrantedPermission {
        GrantedPermission {
            grant_id: Uuid::from_u128(grant),
            account_id: None,
            valid_from: now() - Duration::days(10),
            valid_until: None,
            revoked_at: None,
            permission: perm.to_string(),
        }
    }

    #[test]
    fn open_ended_grant_counts() {
        let eff = effective_permissions(&[granted(1, "contacts.view")], now());
        assert_eq!(eff.len(), 1);
        assert_eq!(eff[0].permission, "contacts.view");
        assert_eq!(eff[0].grant_ids, vec![Uuid::from_u128(1)]);
    }

    #[test]
    fn expired_grant_stops_counting_at_valid_until() {
        let mut g = granted(1, "contacts.export");
        g.valid_until = Some(now());
        assert!(effective_permissions(std::slice::from_ref(&g), now()).is_empty());
        g.valid_until = Some(now() + Duration::seconds(1));
        assert_eq!(effective_permissions(&[g], now()).len(), 1);
    }

    #[test]
    fn not_yet_valid_grant_does_not_count() {
        let mut g = granted(1, "flows.publish");
        g.valid_from = now() + Duration::hours(1);
        assert!(effective_permissions(&[g], now()).is_empty());
    }

    #[test]
    fn revoked_grant_does_not_count() {
        let mut g = granted(1, "billing.manage");
        g.revoked_at = Some(now() - Duration::minutes(1));
        assert!(effective_permissions(&[g], now()).is_empty());
    }

    #[test]
    fn several_grants_giving_one_permission_are_all_named() {
        let eff = effective_permissions(
            &[
                granted(2, "contacts.view"),
                granted(1, "contacts.view"),
                granted(1, "contacts.view"),
            ],
            now(),
        );
        assert_eq!(eff.len(), 1);
        assert_eq!(
            eff[0].grant_ids,
            vec![Uuid::from_u128(1), Uuid::from_u128(2)]
        );
    }

    #[test]
    fn scopes_are_kept_apart() {
        let mut a = granted(1, "contacts.view");
        a.account_id = Some(Uuid::from_u128(100));
        let mut b = granted(2, "contacts.view");
        b.account_id = Some(Uuid::from_u128(200));
        let eff = effective_permissions(&[a, b], now());
        assert_eq!(eff.len(), 2);
        assert_eq!(eff[0].account_id, Some(Uuid::from_u128(100)));
        assert_eq!(eff[1].account_id, Some(Uuid::from_u128(200)));
    }

    #[test]
    fn permission_set_on_top_of_role_adds_its_permissions() {
        // Grant 1 is a role, grant 2 a permission set: both feed the same fold.
        let eff = effective_permissions(
            &[
                granted(1, "contacts.view"),
                granted(1, "segments.edit"),
                granted(2, "contacts.export"),
            ],
            now(),
        );
        let perms: Vec<&str> = eff.iter().map(|e| e.permission.as_str()).collect();
        assert_eq!(
            perms,
            vec!["contacts.export", "contacts.view", "segments.edit"]
        );
    }
}
