//! Separation of duties: pairs of permissions, or a permission and a role, that one
//! principal must not hold on the same account. A grant for every account meets every
//! account's grants.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::RuleError;

/// What a rule does to a request that would break it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SodMode {
    /// The request is refused, naming the rule.
    Block,
    /// The request needs one more approver.
    ExtraApproval,
    /// The conflict is recorded and shown to approvers.
    Record,
}

impl SodMode {
    pub const ALL: [SodMode; 3] = [Self::Block, Self::ExtraApproval, Self::Record];

    /// The database's name for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::ExtraApproval => "extra_approval",
            Self::Record => "record",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Block => "Block",
            Self::ExtraApproval => "Needs an extra approval",
            Self::Record => "Record only",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, RuleError> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str() == raw)
            .ok_or_else(|| RuleError::invalid("mode", "Choose block, extra approval or record."))
    }
}

/// One side of a rule, or something a principal holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holding {
    Permission(Uuid),
    Role(Uuid),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: Uuid,
    pub name: String,
    pub mode: SodMode,
    pub permission: Uuid,
    pub conflicting: Holding,
}

impl Rule {
    fn broken_by(&self, held: &HashSet<Holding>) -> bool {
        held.contains(&Holding::Permission(self.permission)) && held.contains(&self.conflicting)
    }
}

/// A rule a grant would break, and on which account (`None`: the grant for every
/// account breaks it everywhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub rule_id: Uuid,
    pub rule: String,
    pub mode: SodMode,
    pub account: Option<Uuid>,
}

/// The rules that granting `adds` on `account` (`None`: every account) would break
/// and that are not already broken there. `held` is what the principal holds now, each
/// with its account scope. Block rules come first.
pub fn new_conflicts(
    rules: &[Rule],
    held: &[(Option<Uuid>, Holding)],
    account: Option<Uuid>,
    adds: &[Holding],
) -> Vec<Conflict> {
    let mut scopes: Vec<Option<Uuid>> = match account {
        Some(a) => vec![Some(a)],
        None => {
            let mut scopes = vec![None];
            scopes.extend(held.iter().filter_map(|(a, _)| a.map(Some)));
            scopes
        }
    };
    scopes.sort();
    scopes.dedup();
    let mut found: Vec<Conflict> = Vec::new();
    for scope in scopes {
        let before: HashSet<Holding> = held
            .iter()
            .filter(|(a, _)| a.is_none() || *a == scope)
            .map(|(_, h)| *h)
            .collect();
        let mut after = before.clone();
        after.extend(adds.iter().copied());
        for rule in rules {
            if rule.broken_by(&after)
                && !rule.broken_by(&before)
                && !found.iter().any(|c| c.rule_id == rule.id)
            {
                found.push(Conflict {
                    rule_id: rule.id,
                    rule: rule.name.clone(),
                    mode: rule.mode,
                    account: scope,
                });
            }
        }
    }
    found.sort_by_key(|c| c.mode);
    found
}

/// The refusal for a request that breaks a block rule.
pub fn refusal(conflicts: &[Conflict]) -> Option<RuleError> {
    conflicts
        .iter()
        .find(|c| c.mode == SodMode::Block)
        .map(|c| {
            RuleError::Conflict(format!(
                "Refused by the separation-of-duties rule \u{201c}{}\u{201d}: the principal would hold both sides of it.",
                c.rule
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn rule(n: u128, mode: SodMode, permission: u128, conflicting: Holding) -> Rule {
        Rule {
            id: id(n),
            name: format!("rule {n}"),
            mode,
            permission: id(permission),
            conflicting,
        }
    }

    const ACME: Option<Uuid> = Some(Uuid::from_u128(900));
    const GLOBEX: Option<Uuid> = Some(Uuid::from_u128(901));

    #[test]
    fn a_pair_of_permissions_on_the_same_account_conflicts() {
        let rules = [rule(1, SodMode::Block, 10, Holding::Permission(id(11)))];
        let held = [(ACME, Holding::Permission(id(10)))];
        let on_acme = new_conflicts(&rules, &held, ACME, &[Holding::Permission(id(11))]);
        assert_eq!(on_acme.len(), 1);
        assert_eq!(on_acme[0].account, ACME);
        assert!(refusal(&on_acme).unwrap().to_string().contains("rule 1"));
        // Another account is another duty.
        assert!(new_conflicts(&rules, &held, GLOBEX, &[Holding::Permission(id(11))]).is_empty());
        // Either order of the pair.
        let held = [(ACME, Holding::Permission(id(11)))];
        assert_eq!(
            new_conflicts(&rules, &held, ACME, &[Holding::Permission(id(10))]).len(),
            1
        );
    }

    #[test]
    fn a_grant_for_every_account_meets_each_account() {
        let rules = [rule(1, SodMode::Record, 10, Holding::Permission(id(11)))];
        let held = [(GLOBEX, Holding::Permission(id(10)))];
        let everywhere = new_conflicts(&rules, &held, None, &[Holding::Permission(id(11))]);
        assert_eq!(everywhere.len(), 1);
        assert_eq!(everywhere[0].account, GLOBEX);
        // And an org-wide holding meets a grant on one account.
        let held = [(None, Holding::Permission(id(10)))];
        assert_eq!(
            new_conflicts(&rules, &held, ACME, &[Holding::Permission(id(11))]).len(),
            1
        );
    }

    #[test]
    fn a_permission_and_a_role_conflict_and_one_bundle_can_hold_both() {
        let rules = [rule(1, SodMode::ExtraApproval, 10, Holding::Role(id(50)))];
        let adds = [Holding::Role(id(50)), Holding::Permission(id(12))];
        let held = [(ACME, Holding::Permission(id(10)))];
        assert_eq!(
            new_conflicts(&rules, &held, ACME, &adds)[0].mode,
            SodMode::ExtraApproval
        );
        let both_at_once = [Holding::Role(id(50)), Holding::Permission(id(10))];
        assert_eq!(new_conflicts(&rules, &[], ACME, &both_at_once).len(), 1);
        assert!(refusal(&new_conflicts(&rules, &held, ACME, &adds)).is_none());
    }

    #[test]
    fn conflicts_already_there_are_not_new_and_blocks_come_first() {
        let rules = [
            rule(1, SodMode::Record, 10, Holding::Permission(id(11))),
            rule(2, SodMode::Block, 12, Holding::Permission(id(13))),
        ];
        let held = [
            (ACME, Holding::Permission(id(10))),
            (ACME, Holding::Permission(id(11))),
            (ACME, Holding::Permission(id(12))),
        ];
        let adds = [Holding::Permission(id(11)), Holding::Permission(id(13))];
        let found = new_conflicts(&rules, &held, ACME, &adds);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].mode, SodMode::Block);
        let held_elsewhere = [(GLOBEX, Holding::Permission(id(10)))];
        let adds = [
            Holding::Permission(id(11)),
            Holding::Permission(id(12)),
            Holding::Permission(id(13)),
        ];
        let found = new_conflicts(&rules, &held_elsewhere, None, &adds);
        assert_eq!(
            found.iter().map(|c| c.mode).collect::<Vec<_>>(),
            [SodMode::Block, SodMode::Record]
        );
    }

    #[test]
    fn modes_parse_from_their_names() {
        for mode in SodMode::ALL {
            assert_eq!(SodMode::parse(mode.as_str()).unwrap(), mode);
        }
        assert!(SodMode::parse("warn")
            .unwrap_err()
            .field_message("mode")
            .is_some());
    }
}
