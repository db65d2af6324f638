//! Access-request rules: how long access may be asked for, who may decide, and how
//! many approvers a request needs.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::error::RuleError;

/// Durations offered on the request form, in days.
pub const DURATION_PRESETS: [u32; 4] = [1, 7, 30, 90];
/// Shortest justification accepted.
pub const MIN_JUSTIFICATION_CHARS: usize = 20;

/// How long the requested access should last once approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedDuration {
    /// From the moment of approval.
    Days(u32),
    /// Until the start (UTC) of that day.
    Until(NaiveDate),
    NoEnd,
}

impl RequestedDuration {
    /// `choice` is a preset number of days, `date` (then `until` is `YYYY-MM-DD`) or `none`.
    pub fn parse(choice: &str, until: &str, today: NaiveDate) -> Result<Self, RuleError> {
        match choice.trim() {
            "none" => Ok(Self::NoEnd),
            "date" => {
                let raw = until.trim();
                let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
                    RuleError::invalid("until", "Enter the end date as YYYY-MM-DD.")
                })?;
                if date <= today {
                    return Err(RuleError::invalid(
                        "until",
                        "The end date must be after today.",
                    ));
                }
                Ok(Self::Until(date))
            }
            days => match days.parse::<u32>() {
                Ok(n) if DURATION_PRESETS.contains(&n) => Ok(Self::Days(n)),
                _ => Err(RuleError::invalid(
                    "duration",
                    "Choose 1, 7, 30 or 90 days, an end date, or no end.",
                )),
            },
        }
    }

    /// Applies the application's rules: an optional cap in days and whether access may
    /// be open-ended.
    pub fn check(
        self,
        today: NaiveDate,
        max_days: Option<i32>,
        allow_no_end: bool,
        application: &str,
    ) -> Result<Self, RuleError> {
        let days = match self {
            Self::NoEnd if !allow_no_end => {
                return Err(RuleError::invalid(
                    "duration",
                    format!("{application} needs an end date on every grant."),
                ))
            }
            Self::NoEnd => return Ok(self),
            Self::Days(n) => i64::from(n),
            Self::Until(date) => (date - today).num_days(),
        };
        match max_days {
            Some(max) if days > i64::from(max) => Err(RuleError::invalid(
                "duration",
                format!("{application} grants last at most {max} days."),
            )),
            _ => Ok(self),
        }
    }

    /// When access granted at `approved_at` ends.
    pub fn ends(self, approved_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Self::Days(n) => Some(approved_at + chrono::Duration::days(i64::from(n))),
            Self::Until(date) => Some(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?)),
            Self::NoEnd => None,
        }
    }

    /// As stored: (duration_days, valid_until).
    pub fn columns(self) -> (Option<i32>, Option<DateTime<Utc>>) {
        match self {
            Self::Days(n) => (Some(n as i32), None),
            Self::Until(_) => (None, self.ends(Utc::now())),
            Self::NoEnd => (None, None),
        }
    }

    /// Back from the stored columns.
    pub fn from_columns(days: Option<i32>, until: Option<DateTime<Utc>>) -> Self {
        match (days, until) {
            (Some(n), _) => Self::Days(n.max(1) as u32),
            (None, Some(t)) => Self::Until(t.date_naive()),
            (None, None) => Self::NoEnd,
        }
    }
}

pub fn parse_justification(raw: &str) -> Result<String, RuleError> {
    let text = raw.trim();
    if text.chars().count() < MIN_JUSTIFICATION_CHARS {
        return Err(RuleError::invalid(
            "justification",
            format!("Explain why in at least {MIN_JUSTIFICATION_CHARS} characters: the approver decides on it."),
        ));
    }
    Ok(text.chars().take(2000).collect())
}

/// Risk levels from least to most sensitive.
pub const RISK_LEVELS: [&str; 4] = ["low", "medium", "high", "critical"];

/// The most sensitive of the given risk levels ("low" when there are none).
pub fn highest_risk<'a>(levels: impl IntoIterator<Item = &'a str>) -> &'static str {
    levels
        .into_iter()
        .filter_map(|l| RISK_LEVELS.iter().position(|r| *r == l))
        .max()
        .map_or(RISK_LEVELS[0], |i| RISK_LEVELS[i])
}

/// One approver, plus one more when the request adds a high-impact permission and one
/// more when it meets a separation-of-duties rule that asks for an extra approval. Each
/// step is decided by a different approver.
pub fn approvals_needed(adds_high_impact: bool, sod_extra_approval: bool) -> i16 {
    1 + i16::from(adds_high_impact) + i16::from(sod_extra_approval)
}

/// Where someone may decide: the accounts on which they hold the Approver console
/// permission (or all), the accounts they manage and the bundles they own.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApproverScope {
    pub approves_everywhere: bool,
    pub approves_on: Vec<Uuid>,
    pub manages: Vec<Uuid>,
    pub owns: Vec<Uuid>,
}

impl ApproverScope {
    /// An approver for the account who also answers for it (its manager) or for what
    /// is asked (the bundle's owner). A request for every account needs the owner with
    /// approval rights everywhere. (Approvers for every account own the console's roles.)
    pub fn covers(&self, account: Option<Uuid>, bundle: Uuid) -> bool {
        let approver_here =
            self.approves_everywhere || account.is_some_and(|a| self.approves_on.contains(&a));
        let answers_for =
            account.is_some_and(|a| self.manages.contains(&a)) || self.owns.contains(&bundle);
        approver_here && answers_for
    }
}

/// The people around one request, and what has been decided so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionContext {
    pub approver: Uuid,
    pub requester: Uuid,
    pub principal: Uuid,
    /// The owner of a non-human principal (an agent, bot or integration).
    pub owner: Option<Uuid>,
    pub covered: bool,
    /// Approvers of the steps already approved.
    pub approved_by: Vec<Uuid>,
    pub approvals_needed: i16,
}

/// Where an access request stands; only a pending one can be decided or withdrawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Pending,
    Approved,
    Denied,
    Cancelled,
    Expired,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::Pending,
        RequestStatus::Approved,
        RequestStatus::Denied,
        RequestStatus::Cancelled,
        RequestStatus::Expired,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// As the database names it.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Denied => "denied",
            RequestStatus::Cancelled => "cancelled",
            RequestStatus::Expired => "expired",
        }
    }
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for RequestStatus {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        RequestStatus::parse(&raw)
            .ok_or_else(|| format!("{raw:?} is not a status of an access request"))
    }
}

/// What a decision does to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A step approved, more to go: the next needs another approver.
    AwaitsNextApprover,
    Approved,
    Denied,
}

impl Outcome {
    /// The request's status after the decision.
    pub fn status(self) -> RequestStatus {
        match self {
            Outcome::AwaitsNextApprover => RequestStatus::Pending,
            Outcome::Approved => RequestStatus::Approved,
            Outcome::Denied => RequestStatus::Denied,
        }
    }
}

/// Checks that this approver may decide now, and says what the decision leads to.
/// The step being decided is `approved_by.len() + 1`.
pub fn decide(ctx: &DecisionContext, approve: bool, comment: &str) -> Result<Outcome, RuleError> {
    if ctx.approver == ctx.requester {
        return Err(RuleError::Conflict(
            "Nobody decides their own request: another approver must.".into(),
        ));
    }
    if ctx.approver == ctx.principal {
        return Err(RuleError::Conflict(
            "Nobody decides a request for their own access: another approver must.".into(),
        ));
    }
    if ctx.owner == Some(ctx.approver) {
        return Err(RuleError::Conflict(
            "Nobody decides a request for an agent, bot or integration they own: another approver must.".into(),
        ));
    }
    if !ctx.covered {
        return Err(RuleError::Forbidden);
    }
    if ctx.approved_by.contains(&ctx.approver) {
        return Err(RuleError::Conflict(
            "You approved an earlier step; the next must come from a different approver.".into(),
        ));
    }
    if !approve {
        if comment.trim().is_empty() {
            return Err(RuleError::invalid(
                "comment",
                "Say why you deny it: the requester sees your reason.",
            ));
        }
        return Ok(Outcome::Denied);
    }
    if ctx.approved_by.len() + 1 >= ctx.approvals_needed as usize {
        Ok(Outcome::Approved)
    } else {
        Ok(Outcome::AwaitsNextApprover)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_statuses_read_back_as_written() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::try_from(status.to_string()), Ok(status));
        }
        assert!(RequestStatus::try_from("approved_step".to_string()).is_err());
        assert_eq!(Outcome::AwaitsNextApprover.status(), RequestStatus::Pending);
        assert_eq!(Outcome::Denied.status(), RequestStatus::Denied);
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn durations_are_presets_dates_or_no_end() {
        let today = day(2026, 6, 1);
        assert_eq!(
            RequestedDuration::parse("7", "", today).unwrap(),
            RequestedDuration::Days(7)
        );
        assert_eq!(
            RequestedDuration::parse("date", "2026-06-15", today).unwrap(),
            RequestedDuration::Until(day(2026, 6, 15))
        );
        assert_eq!(
            RequestedDuration::parse("none", "", today).unwrap(),
            RequestedDuration::NoEnd
        );
        for (choice, until, field) in [
            ("5", "", "duration"),
            ("date", "2026-06-01", "until"),
            ("date", "soon", "until"),
        ] {
            let error = RequestedDuration::parse(choice, until, today).unwrap_err();
            assert!(error.field_message(field).is_some(), "{choice} {until}");
        }
    }

    #[test]
    fn applications_cap_durations_and_may_forbid_no_end() {
        let today = day(2026, 6, 1);
        let capped = |d: RequestedDuration| d.check(today, Some(30), false, "Acme CRM");
        assert!(capped(RequestedDuration::Days(30)).is_ok());
        assert!(capped(RequestedDuration::Days(90)).is_err());
        assert!(capped(RequestedDuration::Until(day(2026, 7, 1))).is_ok());
        assert!(capped(RequestedDuration::Until(day(2026, 7, 2))).is_err());
        let open = capped(RequestedDuration::NoEnd).unwrap_err();
        assert!(open.to_string().contains("needs an end date"), "{open}");
        assert!(RequestedDuration::NoEnd
            .check(today, None, true, "Chatbot Builder")
            .is_ok());
    }

    #[test]
    fn durations_end_from_the_approval() {
        let approved = Utc.with_ymd_and_hms(2026, 6, 1, 15, 30, 0).unwrap();
        assert_eq!(
            RequestedDuration::Days(7).ends(approved),
            Some(Utc.with_ymd_and_hms(2026, 6, 8, 15, 30, 0).unwrap())
        );
        assert_eq!(
            RequestedDuration::Until(day(2026, 6, 20)).ends(approved),
            Some(Utc.with_ymd_and_hms(2026, 6, 20, 0, 0, 0).unwrap())
        );
        assert_eq!(RequestedDuration::NoEnd.ends(approved), None);
        let (days, until) = RequestedDuration::Days(30).columns();
        assert_eq!(
            RequestedDuration::from_columns(days, until),
            RequestedDuration::Days(30)
        );
    }

    #[test]
    fn approvers_answer_for_the_account_or_the_bundle() {
        let (account, other, bundle) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let manager = ApproverScope {
            approves_on: vec![account],
            manages: vec![account],
            ..Default::default()
        };
        assert!(manager.covers(Some(account), bundle));
        assert!(!manager.covers(Some(other), bundle));
        assert!(
            !manager.covers(None, bundle),
            "every account needs the bundle's owner"
        );
        let owner = ApproverScope {
            approves_everywhere: true,
            owns: vec![bundle],
            ..Default::default()
        };
        assert!(owner.covers(Some(other), bundle));
        assert!(owner.covers(None, bundle));
        let not_approver = ApproverScope {
            manages: vec![account],
            owns: vec![bundle],
            ..Default::default()
        };
        assert!(!not_approver.covers(Some(account), bundle));
    }

    fn ctx(approver: u128, needed: i16, approved_by: &[u128]) -> DecisionContext {
        DecisionContext {
            approver: Uuid::from_u128(approver),
            requester: Uuid::from_u128(10),
            principal: Uuid::from_u128(11),
            owner: Some(Uuid::from_u128(12)),
            covered: true,
            approved_by: approved_by.iter().map(|&a| Uuid::from_u128(a)).collect(),
            approvals_needed: needed,
        }
    }

    #[test]
    fn nobody_decides_their_own_request_or_access() {
        assert!(decide(&ctx(10, 1, &[]), true, "").is_err());
        assert!(decide(&ctx(11, 1, &[]), true, "").is_err());
        assert!(decide(&ctx(12, 1, &[]), true, "").is_err(), "its owner");
        let outside = DecisionContext {
            covered: false,
            ..ctx(1, 1, &[])
        };
        assert_eq!(decide(&outside, true, ""), Err(RuleError::Forbidden));
    }

    #[test]
    fn high_impact_requests_take_two_different_approvers() {
        assert_eq!(approvals_needed(true, false), 2);
        assert_eq!(approvals_needed(false, false), 1);
        assert_eq!(
            decide(&ctx(1, 2, &[]), true, ""),
            Ok(Outcome::AwaitsNextApprover)
        );
        assert!(decide(&ctx(1, 2, &[1]), true, "").is_err());
        assert_eq!(decide(&ctx(2, 2, &[1]), true, ""), Ok(Outcome::Approved));
        assert_eq!(decide(&ctx(1, 1, &[]), true, ""), Ok(Outcome::Approved));
    }

    #[test]
    fn a_request_is_as_risky_as_its_most_sensitive_permission() {
        assert_eq!(highest_risk(["low", "critical", "medium"]), "critical");
        assert_eq!(highest_risk(["medium", "low"]), "medium");
        assert_eq!(highest_risk([]), "low");
    }

    #[test]
    fn an_extra_approval_rule_adds_a_third_different_approver() {
        assert_eq!(approvals_needed(false, true), 2);
        assert_eq!(approvals_needed(true, true), 3);
        assert_eq!(
            decide(&ctx(2, 3, &[1]), true, ""),
            Ok(Outcome::AwaitsNextApprover)
        );
        assert!(decide(&ctx(3, 3, &[1, 3]), true, "").is_err());
        assert_eq!(decide(&ctx(4, 3, &[1, 3]), true, ""), Ok(Outcome::Approved));
    }

    #[test]
    fn a_denial_needs_a_reason() {
        assert!(decide(&ctx(1, 1, &[]), false, "  ")
            .unwrap_err()
            .field_message("comment")
            .is_some());
        assert_eq!(
            decide(&ctx(1, 2, &[]), false, "Not on this account"),
            Ok(Outcome::Denied)
        );
    }
}
