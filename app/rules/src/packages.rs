//! Access packages: what a package gives (one line per role or permission set), who it
//! may be asked for, who approves it in one or two steps, how long it lasts and how
//! often it is reviewed. Written as a person types them on the package form:
//!
//! ```text
//! Acme CRM / Support Agent / Acme Retail      a role or permission set on one account
//! Chatbot Builder / Conversation Agent        on every account
//! ```

use crate::error::RuleError;

/// At most this many roles and permission sets in one package.
pub const MAX_ITEMS: usize = 20;
/// A package lasts at most this many days at a time.
pub const MAX_DAYS: i32 = 366;
/// Reviews are at most this many months apart.
pub const MAX_REVIEW_MONTHS: i16 = 24;
/// Principal kinds a package may be asked for.
pub const KINDS: [&str; 4] = ["human", "ai_agent", "bot", "integration"];

/// Who approves one step of a package request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Approver {
    /// The manager of the person (the owner of an agent, bot or integration).
    Manager,
    /// A manager of one of the accounts the package gives access on.
    AccountManagers,
    /// One of the people the package names.
    Named,
}

impl Approver {
    pub const ALL: [Approver; 3] = [
        Approver::Manager,
        Approver::AccountManagers,
        Approver::Named,
    ];

    /// As stored and posted.
    pub fn as_str(self) -> &'static str {
        match self {
            Approver::Manager => "manager",
            Approver::AccountManagers => "account_managers",
            Approver::Named => "named",
        }
    }

    /// As a person reads it.
    pub fn label(self) -> &'static str {
        match self {
            Approver::Manager => "their manager (an agent's owner)",
            Approver::AccountManagers => "a manager of one of its accounts",
            Approver::Named => "one of the named approvers",
        }
    }

    pub fn parse(raw: &str) -> Option<Approver> {
        Approver::ALL.into_iter().find(|a| a.as_str() == raw.trim())
    }
}

/// The approval steps of a package: the first, and optionally a second by someone else.
/// `second` is the form's choice, where empty means one step.
pub fn parse_steps(first: &str, second: &str) -> Result<Vec<Approver>, RuleError> {
    let first = Approver::parse(first).ok_or_else(|| {
        RuleError::invalid(
            "first_approver",
            "Choose who approves first: the manager, an account manager or named people.",
        )
    })?;
    if second.trim().is_empty() {
        return Ok(vec![first]);
    }
    let second = Approver::parse(second).ok_or_else(|| {
        RuleError::invalid(
            "second_approver",
            "Choose who approves second, or no second step.",
        )
    })?;
    Ok(vec![first, second])
}

/// One line of a package's contents, by name; the names are looked up when it is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemLine {
    pub line: usize,
    pub application: String,
    pub bundle: String,
    /// None: every account.
    pub account: Option<String>,
}

/// Reads the package's contents, one `Application / Role or set / Account` per line
/// (the account left out, or `all accounts`, for every account).
pub fn parse_items(text: &str) -> Result<Vec<ItemLine>, RuleError> {
    let invalid = |message: String| RuleError::invalid("items", message);
    let mut items: Vec<ItemLine> = vec![];
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
        let (application, bundle, account) = match parts.as_slice() {
            [a, b] => (*a, *b, None),
            [a, b, c] => (*a, *b, Some(*c)),
            _ => {
                return Err(invalid(format!(
                    "Line {line}: write Application / Role or permission set / Account \
                     (the account left out for every account)."
                )))
            }
        };
        if application.is_empty() || bundle.is_empty() {
            return Err(invalid(format!(
                "Line {line}: name both the application and the role or permission set."
            )));
        }
        let account = account
            .filter(|a| !a.is_empty() && !a.eq_ignore_ascii_case("all accounts"))
            .map(str::to_string);
        let item = ItemLine {
            line,
            application: application.to_string(),
            bundle: bundle.to_string(),
            account,
        };
        let same = |other: &ItemLine| {
            other.application.eq_ignore_ascii_case(&item.application)
                && other.bundle.eq_ignore_ascii_case(&item.bundle)
                && other.account.as_deref().map(str::to_lowercase)
                    == item.account.as_deref().map(str::to_lowercase)
        };
        if let Some(first) = items.iter().find(|i| same(i)) {
            return Err(invalid(format!("Line {line} repeats line {}.", first.line)));
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(invalid(
            "Name at least one role or permission set, one per line: Application / Role / Account."
                .into(),
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(invalid(format!(
            "A package gives at most {MAX_ITEMS} roles and permission sets; this one names {}.",
            items.len()
        )));
    }
    Ok(items)
}

/// The principal kinds a package may be asked for: at least one of [`KINDS`].
pub fn parse_kinds(chosen: &[String]) -> Result<Vec<String>, RuleError> {
    let mut kinds: Vec<String> = vec![];
    for kind in chosen {
        let kind = kind.trim();
        if !KINDS.contains(&kind) {
            return Err(RuleError::invalid(
                "for_kinds",
                format!("\u{201c}{kind}\u{201d} is not a kind of principal."),
            ));
        }
        if !kinds.iter().any(|k| k == kind) {
            kinds.push(kind.to_string());
        }
    }
    if kinds.is_empty() {
        return Err(RuleError::invalid(
            "for_kinds",
            "Choose who the package is for: people, AI agents, bots or integrations.",
        ));
    }
    Ok(kinds)
}

fn whole_number(field: &str, raw: &str, range: (i64, i64), what: &str) -> Result<i64, RuleError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (range.0..=range.1).contains(n))
        .ok_or_else(|| {
            RuleError::invalid(
                field,
                format!(
                    "Write {what} as a whole number from {} to {}.",
                    range.0, range.1
                ),
            )
        })
}

/// The longest a package lasts at a time, in days.
pub fn parse_max_days(raw: &str) -> Result<i32, RuleError> {
    whole_number(
        "max_days",
        raw,
        (1, MAX_DAYS as i64),
        "the longest duration in days",
    )
    .map(|n| n as i32)
}

/// Months between reviews; empty: no scheduled review.
pub fn parse_review_months(raw: &str) -> Result<Option<i16>, RuleError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    whole_number(
        "review_months",
        raw,
        (1, MAX_REVIEW_MONTHS as i64),
        "the months between reviews",
    )
    .map(|n| Some(n as i16))
}

/// The days asked for, within the package's longest duration.
pub fn parse_days(raw: &str, max_days: i32) -> Result<i32, RuleError> {
    whole_number("days", raw, (1, max_days as i64), "the days")
        .map(|n| n as i32)
        .map_err(|_| {
            RuleError::invalid(
                "days",
                format!("Ask for 1 to {max_days} days: this package lasts at most {max_days}."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(e: RuleError) -> String {
        e.to_string()
    }

    #[test]
    fn items_are_read_one_per_line_with_an_optional_account() {
        let items = parse_items(
            "Acme CRM / Support Agent / Acme Retail\n\n  Chatbot Builder/Conversation Agent  \nAcme CRM / Viewer / all accounts",
        )
        .unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].application, "Acme CRM");
        assert_eq!(items[0].bundle, "Support Agent");
        assert_eq!(items[0].account.as_deref(), Some("Acme Retail"));
        assert_eq!(items[1].line, 3);
        assert_eq!(items[1].account, None);
        assert_eq!(items[2].account, None);
    }

    #[test]
    fn bad_item_lines_are_refused_with_their_line() {
        assert!(message(parse_items("Acme CRM").unwrap_err()).contains("Line 1"));
        assert!(message(parse_items("a / b / c / d").unwrap_err()).contains("Line 1"));
        assert!(message(parse_items("x\n / Role").unwrap_err()).contains("Line 1"));
        assert!(message(parse_items("A / B\n / Role").unwrap_err()).contains("Line 2"));
        let repeated = parse_items("A / B / C\na / b / c").unwrap_err();
        assert_eq!(message(repeated), "Line 2 repeats line 1.");
        assert!(message(parse_items(" \n ").unwrap_err()).contains("at least one"));
        let many: String = (0..21).map(|i| format!("A / Role {i}\n")).collect();
        assert!(message(parse_items(&many).unwrap_err()).contains("at most 20"));
    }

    #[test]
    fn steps_are_one_or_two_known_approvers() {
        assert_eq!(parse_steps("manager", "").unwrap(), vec![Approver::Manager]);
        assert_eq!(
            parse_steps("named", "account_managers").unwrap(),
            vec![Approver::Named, Approver::AccountManagers]
        );
        assert!(parse_steps("boss", "")
            .unwrap_err()
            .field_message("first_approver")
            .is_some());
        assert!(parse_steps("manager", "anyone")
            .unwrap_err()
            .field_message("second_approver")
            .is_some());
    }

    #[test]
    fn kinds_durations_and_reviews_are_checked() {
        assert_eq!(
            parse_kinds(&["human".into(), "bot".into(), "human".into()]).unwrap(),
            vec!["human", "bot"]
        );
        assert!(parse_kinds(&[]).is_err());
        assert!(parse_kinds(&["robot".into()]).is_err());
        assert_eq!(parse_max_days(" 90 ").unwrap(), 90);
        assert!(parse_max_days("0").is_err());
        assert!(parse_max_days("367").is_err());
        assert!(parse_max_days("ninety").is_err());
        assert_eq!(parse_review_months("").unwrap(), None);
        assert_eq!(parse_review_months("6").unwrap(), Some(6));
        assert!(parse_review_months("25").is_err());
        assert_eq!(parse_days("30", 30).unwrap(), 30);
        let over = parse_days("31", 30).unwrap_err();
        assert_eq!(
            over.field_message("days").as_deref(),
            Some("Ask for 1 to 30 days: this package lasts at most 30.")
        );
    }
}
