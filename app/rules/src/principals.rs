//! Kinds of principal: people, bots, AI agents and integrations.

/// Kinds of principal, as the database names them.
pub const PRINCIPAL_KINDS: [&str; 4] = ["human", "ai_agent", "bot", "integration"];

/// A kind of principal as people read it.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "human" => "Person",
        "ai_agent" => "AI agent",
        "bot" => "Bot",
        "integration" => "Integration",
        _ => "Other",
    }
}

/// What non-human principals (AI agents, bots, integrations) may and may not do, in one
/// place: each may hold tokens of its own, bound to it, that end within the
/// organisation's cap; each may ask for access for itself; none decides a request or a
/// review, whatever console role it holds, because a person answers for every decision.
pub mod non_human {
    use chrono::NaiveDate;

    use crate::error::RuleError;

    /// Whether a principal of `kind` may decide requests and reviews.
    pub fn may_decide(kind: &str) -> bool {
        kind == "human"
    }

    /// How many of a non-human principal's requests may wait for a decision at once:
    /// an agent asks in a loop far faster than people decide, and the approvers' queue
    /// is theirs to keep readable.
    pub const MOST_WAITING_REQUESTS: i64 = 10;

    /// Whether a principal of `kind` with `waiting` requests pending may ask again.
    pub fn may_ask(kind: &str, waiting: i64) -> Result<(), RuleError> {
        if may_decide(kind) || waiting < MOST_WAITING_REQUESTS {
            return Ok(());
        }
        Err(RuleError::Conflict(format!(
            "{MOST_WAITING_REQUESTS} requests of this {} already wait for a decision; ask again once people have decided some.",
            match kind {
                "ai_agent" => "AI agent",
                "bot" => "bot",
                _ => "integration",
            }
        )))
    }

    /// Whether a principal of `kind` may hold a token of its own.
    pub fn may_hold_token(kind: &str) -> bool {
        kind != "human" && super::PRINCIPAL_KINDS.contains(&kind)
    }

    /// The end of a principal's token: required, after today, and at most `max_days`
    /// away.
    pub fn token_end(
        until: Option<NaiveDate>,
        today: NaiveDate,
        max_days: i32,
    ) -> Result<NaiveDate, RuleError> {
        let latest = today + chrono::Days::new(max_days.max(1) as u64);
        match until {
            None => Err(RuleError::invalid(
                "until",
                format!(
                    "A principal's token needs an end date, at most {max_days} days away (by {latest})."
                ),
            )),
            Some(d) if d <= today => Err(RuleError::invalid(
                "until",
                "The end date must be after today.",
            )),
            Some(d) if d > latest => Err(RuleError::invalid(
                "until",
                format!(
                    "The organisation lets a principal's token last at most {max_days} days: end it by {latest}."
                ),
            )),
            Some(d) => Ok(d),
        }
    }
}

/// Where a principal stands. Offboarding is final; a suspended principal can be
/// reactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalStatus {
    Active,
    Suspended,
    Offboarded,
}

impl PrincipalStatus {
    pub const ALL: [PrincipalStatus; 3] = [
        PrincipalStatus::Active,
        PrincipalStatus::Suspended,
        PrincipalStatus::Offboarded,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As the database names it.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalStatus::Active => "active",
            PrincipalStatus::Suspended => "suspended",
            PrincipalStatus::Offboarded => "offboarded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PrincipalStatus::Active => "Active",
            PrincipalStatus::Suspended => "Suspended",
            PrincipalStatus::Offboarded => "Offboarded",
        }
    }
}

impl std::fmt::Display for PrincipalStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for PrincipalStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        PrincipalStatus::parse(&raw).ok_or_else(|| format!("{raw:?} is not a principal status"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_has_a_few_requests_waiting_at_most_and_a_person_any_number() {
        use non_human::*;
        assert!(may_ask("ai_agent", MOST_WAITING_REQUESTS - 1).is_ok());
        let refused = may_ask("ai_agent", MOST_WAITING_REQUESTS).unwrap_err();
        assert!(refused.to_string().contains("this AI agent"), "{refused}");
        assert!(may_ask("integration", MOST_WAITING_REQUESTS + 5).is_err());
        assert!(may_ask("human", 500).is_ok());
    }

    #[test]
    fn only_people_decide_and_only_others_hold_tokens_that_end() {
        use non_human::*;
        assert!(may_decide("human"));
        for kind in ["ai_agent", "bot", "integration", "alien"] {
            assert!(!may_decide(kind), "{kind}");
        }
        assert!(!may_hold_token("human"));
        assert!(!may_hold_token("alien"));
        assert!(may_hold_token("ai_agent"));
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let day = |d| today + chrono::Days::new(d);
        assert!(token_end(None, today, 90).is_err());
        assert!(token_end(Some(today), today, 90).is_err());
        assert_eq!(token_end(Some(day(90)), today, 90), Ok(day(90)));
        let too_late = token_end(Some(day(91)), today, 90).unwrap_err();
        assert!(too_late.to_string().contains("2026-04-01"), "{too_late}");
    }

    #[test]
    fn statuses_read_back_as_written() {
        for status in PrincipalStatus::ALL {
            assert_eq!(PrincipalStatus::parse(status.as_str()), Some(status));
            assert_eq!(PrincipalStatus::try_from(status.to_string()), Ok(status));
        }
        assert_eq!(PrincipalStatus::parse("gone"), None);
        assert!(PrincipalStatus::try_from("Active".to_string()).is_err());
    }
}
