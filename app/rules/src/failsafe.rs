//! The lifecycle failsafe: automation (the identity provider deactivating or deleting
//! people, end dates passing, a birthright rule retired) may revoke only so many grants
//! and suspend only so many principals within an hour. A run that would go past either
//! limit is held whole, for an admin to confirm or discard.

/// How many of each an organisation lets automation take away within an hour; `None`:
/// no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    pub grants: Option<i64>,
    pub principals: Option<i64>,
}

/// Grants revoked and principals suspended: by one run, or within the last hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub grants: i64,
    pub principals: i64,
}

/// The limit a run would go past.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crossed {
    /// "grants revoked" or "principals suspended".
    pub what: &'static str,
    pub limit: i64,
    /// The hour's count with the run's.
    pub would_be: i64,
}

impl Crossed {
    pub fn message(&self) -> String {
        format!(
            "Held: this would make {} {} within an hour, over the failsafe's limit of {}. \
             An admin confirms or discards it on the Lifecycle page (held changes).",
            self.would_be, self.what, self.limit
        )
    }
}

/// Whether `run`, added to what the last hour did, goes past a limit. A run that takes
/// nothing away never does.
pub fn crossed(limits: Limits, hour: Tally, run: Tally) -> Option<Crossed> {
    let check = |limit: Option<i64>, past: i64, now: i64, what| {
        let limit = limit?;
        (now > 0 && past + now > limit).then_some(Crossed {
            what,
            limit,
            would_be: past + now,
        })
    };
    check(limits.grants, hour.grants, run.grants, "grants revoked").or_else(|| {
        check(
            limits.principals,
            hour.principals,
            run.principals,
            "principals suspended",
        )
    })
}

/// The most a limit may be set to.
pub const MAX_LIMIT: i64 = 1_000_000;

/// Reads a limit as typed: empty is no limit, otherwise a whole number from 1.
pub fn parse_limit(raw: &str) -> Result<Option<i64>, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(Some(n)),
        _ => Err(format!(
            "Give a whole number from 1 to {MAX_LIMIT}, or leave it empty for no limit."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        grants: Some(10),
        principals: Some(2),
    };

    fn tally(grants: i64, principals: i64) -> Tally {
        Tally { grants, principals }
    }

    #[test]
    fn a_run_within_the_hours_limits_goes_through() {
        assert_eq!(crossed(LIMITS, tally(5, 1), tally(5, 1)), None);
        assert_eq!(crossed(LIMITS, tally(0, 0), tally(10, 2)), None);
    }

    #[test]
    fn a_run_past_either_limit_is_held_and_says_which() {
        let over = crossed(LIMITS, tally(8, 0), tally(3, 1)).unwrap();
        assert_eq!(
            (over.what, over.limit, over.would_be),
            ("grants revoked", 10, 11)
        );
        assert!(over.message().contains("11 grants revoked"));
        let over = crossed(LIMITS, tally(0, 2), tally(0, 1)).unwrap();
        assert_eq!((over.what, over.would_be), ("principals suspended", 3));
    }

    #[test]
    fn a_run_that_takes_nothing_away_is_never_held() {
        assert_eq!(crossed(LIMITS, tally(500, 50), tally(0, 0)), None);
        assert_eq!(
            crossed(LIMITS, tally(500, 50), tally(0, 1)).unwrap().what,
            "principals suspended"
        );
    }

    #[test]
    fn without_limits_nothing_is_held() {
        assert_eq!(
            crossed(Limits::default(), tally(1_000, 1_000), tally(1_000, 1_000)),
            None
        );
    }

    #[test]
    fn limits_are_read_as_typed() {
        assert_eq!(parse_limit(""), Ok(None));
        assert_eq!(parse_limit(" 25 "), Ok(Some(25)));
        for bad in ["0", "-3", "ten", "1.5", "1000001"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
