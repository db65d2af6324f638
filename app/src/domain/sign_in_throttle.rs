//! Sign-in throttling: repeated failures for one email first slow down, then lock it
//! for a while. The same rule applies whether or not the email belongs to anyone.

use chrono::{DateTime, Duration, Utc};

/// Failures after which each further attempt is delayed.
pub const SLOW_DOWN_AFTER: i32 = 3;
/// Failures after which the email is locked.
pub const LOCK_AFTER: i32 = 10;
/// How long a lock lasts.
pub const LOCK_FOR: Duration = Duration::minutes(15);
/// Failures older than this are forgotten.
pub const FORGET_AFTER: Duration = Duration::minutes(30);

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

/// What to do with a new attempt, given the recorded failures.
pub fn verdict(state: Option<ThrottleState>, now: DateTime<Utc>) -> Verdict {
    let Some(state) = state.map(|s| current(s, now)) else {
        return Verdict::Proceed {
            delay: std::time::Duration::ZERO,
        };
    };
    if let Some(until) = state.locked_until.filter(|until| *until > now) {
        return Verdict::Locked { until };
    }
    let over = (state.failures - SLOW_DOWN_AFTER + 1).max(0) as u64;
    Verdict::Proceed {
        delay: std::time::Duration::from_millis((over * 500).min(4_000)),
    }
}

/// The state after one more failure at `now`.
pub fn after_failure(state: Option<ThrottleState>, now: DateTime<Utc>) -> ThrottleState {
    let failures = state.map(|s| current(s, now).failures).unwrap_or(0) + 1;
    ThrottleState {
        failures,
        last_failure_at: now,
        locked_until: (failures >= LOCK_AFTER).then(|| now + LOCK_FOR),
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

    fn fail_times(n: i32) -> Option<ThrottleState> {
        let mut s = None;
        for _ in 0..n {
            s = Some(after_failure(s, t0()));
        }
        s
    }

    #[test]
    fn first_attempts_are_not_delayed() {
        for n in 0..SLOW_DOWN_AFTER - 1 {
            assert_eq!(
                verdict(fail_times(n), t0()),
                Verdict::Proceed {
                    delay: std::time::Duration::ZERO
                }
            );
        }
    }

    #[test]
    fn repeated_failures_slow_down_then_lock() {
        let Verdict::Proceed { delay } = verdict(fail_times(SLOW_DOWN_AFTER), t0()) else {
            panic!("should not be locked yet");
        };
        assert!(delay > std::time::Duration::ZERO);
        assert_eq!(
            verdict(fail_times(LOCK_AFTER), t0()),
            Verdict::Locked {
                until: t0() + LOCK_FOR
            }
        );
    }

    #[test]
    fn lock_ends_and_failures_are_forgotten() {
        let locked = fail_times(LOCK_AFTER);
        let later = t0() + LOCK_FOR + Duration::seconds(1);
        assert_eq!(
            verdict(locked, later),
            Verdict::Proceed {
                delay: std::time::Duration::ZERO
            }
        );
        assert_eq!(after_failure(locked, later).failures, 1);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let s = fail_times(5);
        assert_eq!(
            after_failure(s, t0() + FORGET_AFTER + Duration::seconds(1)).failures,
            1
        );
    }
}
