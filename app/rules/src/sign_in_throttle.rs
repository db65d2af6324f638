//! Sign-in throttling. Failures are counted three ways: per email from one source
//! address, per source address, and per email from anywhere. The first two lock for a
//! while; the third only slows attempts down, so that nobody elsewhere can lock the
//! owner of an email out. The same rule applies whether or not the email belongs to
//! anyone, and an attempt counts as a failure before the password is checked, so that
//! attempts sent in parallel cannot all pass under one count.

use chrono::{DateTime, Duration, Utc};

/// Failures of one email from one address after which it is locked: the lock a person
/// meets after mistyping their own password.
pub const LOCK_AFTER: i32 = 10;
/// How long a lock lasts.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// Failures older than this are forgotten.
pub const FORGET_AFTER: Duration = Duration::minutes(30);
/// Each failure over a scope's threshold adds this much delay…
const DELAY_STEP_MS: u64 = 500;
/// …up to this much.
const MAX_DELAY_MS: u64 = 4_000;

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One email tried from one source address.
    EmailAtAddress,
    /// Every attempt from one source address, whatever the email.
    Address,
    /// One email, from every address: slows down, never locks.
    Email,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::EmailAtAddress, Scope::Address, Scope::Email];

    /// Failures after which each further attempt is delayed.
    pub fn slow_down_after(self) -> i32 {
        match self {
            Scope::EmailAtAddress => 3,
            Scope::Address => 20,
            Scope::Email => 10,
        }
    }

    /// Failures after which attempts are refused for [`LOCK_FOR`].
    pub fn lock_after(self) -> Option<i32> {
        match self {
            Scope::EmailAtAddress => Some(LOCK_AFTER),
            Scope::Address => Some(50),
            Scope::Email => None,
        }
    }

    /// The key of this scope's counter for an attempt (`address`: the source IP, if known).
    pub fn key(self, email: &str, address: Option<&str>) -> String {
        let address = address.unwrap_or("unknown");
        match self {
            Scope::EmailAtAddress => format!("email-at:{email}|{address}"),
            Scope::Address => format!("address:{address}"),
            Scope::Email => format!("email:{email}"),
        }
    }

    /// Whether this counter keeps its failures after a successful sign-in (only the
    /// attempt itself is taken back): one good account must not wipe out an address's
    /// failures against others. The email's counters start again.
    pub fn keeps_failures_after_success(self) -> bool {
        self == Scope::Address
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: i32,
    pub last_failure_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go ahead after waiting this long.
    Proceed { delay: std::time::Duration },
    /// Refuse without checking the password.
    Locked { until: DateTime<Utc> },
}

/// What to do with a new attempt, given each scope's recorded failures.
pub fn verdict(states: &[(Scope, Option<ThrottleState>)], now: DateTime<Utc>) -> Verdict {
    let mut delay_ms = 0;
    let mut locked: Option<DateTime<Utc>> = None;
    for (scope, state) in states {
        let Some(state) = state.map(|s| current(s, now)) else {
            continue;
        };
        if let Some(until) = state.locked_until.filter(|until| *until > now) {
            locked = Some(locked.map_or(until, |l| l.max(until)));
        }
        let over = (state.failures - scope.slow_down_after() + 1).max(0) as u64;
        delay_ms = delay_ms.max((over * DELAY_STEP_MS).min(MAX_DELAY_MS));
    }
    match locked {
        Some(until) => Verdict::Locked { until },
        None => Verdict::Proceed {
            delay: std::time::Duration::from_millis(delay_ms),
        },
    }
}

/// A scope's state after one more failure at `now`.
pub fn after_failure(
    scope: Scope,
    state: Option<ThrottleState>,
    now: DateTime<Utc>,
) -> ThrottleState {
    let failures = state.map(|s| current(s, now).failures).unwrap_or(0) + 1;
    ThrottleState {
        failures,
        last_failure_at: now,
        locked_until: scope
            .lock_after()
            .filter(|limit| failures >= *limit)
            .map(|_| now + LOCK_FOR),
    }
}

/// Forgets failures that are old, and a lock that has ended.
fn current(state: ThrottleState, now: DateTime<Utc>) -> ThrottleState {
    let lock_over = state.locked_until.is_some_and(|until| until <= now);
    if lock_over || now - state.last_failure_at > FORGET_AFTER {
        ThrottleState {
            failures: 0,
            last_failure_at: state.last_failure_at,
            locked_until: None,
        }
    } else {
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap()
    }

    fn fail_times(scope: Scope, n: i32) -> Option<ThrottleState> {
        let mut s = None;
        for _ in 0..n {
            s = Some(after_failure(scope, s, t0()));
        }
        s
    }

    fn only(scope: Scope, n: i32) -> Vec<(Scope, Option<ThrottleState>)> {
        Scope::ALL
            .into_iter()
            .map(|s| (s, if s == scope { fail_times(s, n) } else { None }))
            .collect()
    }

    const NO_DELAY: Verdict = Verdict::Proceed {
        delay: std::time::Duration::ZERO,
    };

    #[test]
    fn first_attempts_are_not_delayed() {
        for n in 0..Scope::EmailAtAddress.slow_down_after() - 1 {
            assert_eq!(verdict(&only(Scope::EmailAtAddress, n), t0()), NO_DELAY);
        }
    }

    #[test]
    fn repeated_failures_from_one_address_slow_down_then_lock() {
        let Verdict::Proceed { delay } = verdict(&only(Scope::EmailAtAddress, 3), t0()) else {
            panic!("should not be locked yet");
        };
        assert!(delay > std::time::Duration::ZERO);
        assert_eq!(
            verdict(&only(Scope::EmailAtAddress, LOCK_AFTER), t0()),
            Verdict::Locked {
                until: t0() + LOCK_FOR
            }
        );
        assert!(matches!(
            verdict(&only(Scope::Address, 50), t0()),
            Verdict::Locked { .. }
        ));
    }

    #[test]
    fn failures_elsewhere_slow_the_owner_down_but_never_lock_them_out() {
        let Verdict::Proceed { delay } = verdict(&only(Scope::Email, 10_000), t0()) else {
            panic!("an email is never locked for everyone");
        };
        assert_eq!(delay, std::time::Duration::from_millis(MAX_DELAY_MS));
    }

    #[test]
    fn the_longest_delay_and_the_latest_lock_win() {
        let mut states = only(Scope::Email, 11);
        states[0].1 = fail_times(Scope::EmailAtAddress, 4);
        assert_eq!(
            verdict(&states, t0()),
            Verdict::Proceed {
                delay: std::time::Duration::from_millis(1_000)
            }
        );
    }

    #[test]
    fn lock_ends_and_failures_are_forgotten() {
        let locked = fail_times(Scope::EmailAtAddress, LOCK_AFTER);
        let later = t0() + LOCK_FOR + Duration::seconds(1);
        assert_eq!(verdict(&[(Scope::EmailAtAddress, locked)], later), NO_DELAY);
        assert_eq!(
            after_failure(Scope::EmailAtAddress, locked, later).failures,
            1
        );
        let s = fail_times(Scope::Address, 5);
        assert_eq!(
            after_failure(
                Scope::Address,
                s,
                t0() + FORGET_AFTER + Duration::seconds(1)
            )
            .failures,
            1
        );
    }

    #[test]
    fn keys_keep_scopes_and_addresses_apart() {
        let keys: Vec<String> = Scope::ALL
            .into_iter()
            .map(|s| s.key("a@b.example", Some("10.0.0.1")))
            .collect();
        assert_eq!(
            keys,
            [
                "email-at:a@b.example|10.0.0.1",
                "address:10.0.0.1",
                "email:a@b.example"
            ]
        );
        assert_ne!(
            Scope::Address.key("a@b.example", Some("10.0.0.1")),
            Scope::Address.key("a@b.example", None)
        );
    }
}
