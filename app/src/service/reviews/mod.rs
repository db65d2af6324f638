//! Access reviews: a Governance admin starts a campaign over a scope (its grants are
//! frozen as items), reviewers keep or revoke their items, and closing applies every
//! revoke — and the campaign's rule for what nobody decided — in one transaction.

mod close;
mod decide;
mod detail;
mod overview;
mod start;

pub use close::{close, close_in};
pub use decide::decide;
pub use detail::detail;
pub use overview::{overview, CAMPAIGNS_PER_PAGE};
pub use start::{create, review_selection};

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::caller::Caller;
use crate::error::AppError;
use rules::console::ConsolePermission;

pub const PAGE_SIZE: usize = 100;
/// Items one bulk decision may take.
pub const MAX_BULK: usize = 500;

/// Who starts, sees all of and closes campaigns.
fn manages(caller: &Caller) -> bool {
    caller.can(ConsolePermission::GrantsAssign)
}

/// Who may read every campaign without managing them.
fn reads_all(caller: &Caller) -> bool {
    manages(caller) || caller.can(ConsolePermission::AuditView)
}

/// `YYYY-MM-DD`, today or later.
fn parse_due(raw: &str, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("due_on", "Give the due date as YYYY-MM-DD."))?;
    if date < today {
        return Err(AppError::invalid(
            "due_on",
            "The due date cannot be in the past.",
        ));
    }
    Ok(date)
}

fn scope_label(scope: &serde_json::Value, names: &HashMap<String, String>) -> String {
    let named = |key: &str| {
        scope[key]
            .as_str()
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string()))
    };
    let mut parts = Vec::new();
    parts.push(named("application").unwrap_or_else(|| "every application".into()));
    let listed = |key: &str| -> Vec<String> {
        scope[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|id| id.as_str())
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.to_string()))
            .collect()
    };
    // Campaigns started before several accounts could be chosen name one "account".
    let accounts = match named("account") {
        Some(one) => vec![one],
        None => listed("accounts"),
    };
    parts.push(match accounts.len() {
        0 => "every account".into(),
        1 => format!("account {}", accounts[0]),
        _ => format!("accounts {}", accounts.join(", ")),
    });
    let roles = listed("roles");
    if !roles.is_empty() {
        parts.push(format!(
            "role{} {}",
            if roles.len() > 1 { "s" } else { "" },
            roles.join(", ")
        ));
    }
    let kinds: Vec<&str> = scope["kinds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str())
        .collect();
    if !kinds.is_empty() {
        parts.push(kinds.join(", ").replace('_', " "));
    }
    let chosen = scope["principals"].as_array().map(|p| p.len()).unwrap_or(0);
    if chosen > 0 {
        parts.push(format!("{chosen} selected principals"));
    }
    parts.join(" \u{b7} ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn due_dates_are_today_or_later() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(parse_due("2026-11-24", today).unwrap(), today);
        assert!(parse_due("2026-11-23", today)
            .unwrap_err()
            .field_message("due_on")
            .unwrap()
            .contains("past"));
        assert!(parse_due("soon", today).is_err());
    }

    #[test]
    fn the_scope_reads_as_chosen() {
        let names = HashMap::from([("a".to_string(), "Acme CRM".to_string())]);
        let scope = json!({"application": "a", "account": null, "kinds": ["ai_agent", "bot"], "principals": []});
        assert_eq!(
            scope_label(&scope, &names),
            "Acme CRM \u{b7} every account \u{b7} ai agent, bot"
        );
    }
}
