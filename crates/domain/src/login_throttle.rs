//! Slowing down password guessing against one account.
//!
//! Failures are counted per (tenant, e-mail address typed, client), whether or not an
//! account has that address: locking only real accounts would tell an attacker which
//! addresses exist. Counting per client as well means a stranger's wrong guesses lock only
//! the stranger out, never the person who owns the address signing in from elsewhere. One
//! client trying many addresses is stopped by a second, larger count of its failures for
//! any address.

use chrono::{DateTime, Duration, Utc};

/// The policy: how many failures in what window lock an address out, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Failures allowed inside one window before the address is locked.
    pub max_failures: u32,
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// How long a lock lasts.
    pub lockout: Duration,
    /// Failures for any address allowed from one client inside one window before that
    /// client is locked out of every address.
    pub client_max_failures: u32,
}

impl Default for LoginThrottle {
    /// Five failures in fifteen minutes lock the address, from that client, for fifteen
    /// minutes: enough for a person who mistypes, far too few for an online guessing
    /// attack. Thirty from one client, whatever the addresses, lock the client: an office
    /// behind one address mistypes far less, a password sprayer far more.
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::minutes(15),
            lockout: Duration::minutes(15),
            client_max_failures: 30,
        }
    }
}

/// What is remembered about recent failures for one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Failures counted in the current window.
    pub failures: u32,
    /// When the current window began.
    pub window_started_at: DateTime<Utc>,
    /// Until when sign-in is refused, if locked.
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginThrottle {
    /// The policy for one client's failures for any address.
    pub fn per_client(&self) -> Self {
        Self {
            max_failures: self.client_max_failures,
            ..*self
        }
    }

    /// Until when `state` refuses sign-in at `now`, if it does.
    pub fn locked_until(
        &self,
        state: Option<&ThrottleState>,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        state
            .and_then(|s| s.locked_until)
            .filter(|until| *until > now)
    }

    /// The state after one more failure at `now`.
    pub fn record_failure(
        &self,
        state: Option<&ThrottleState>,
        now: DateTime<Utc>,
    ) -> ThrottleState {
        let (failures, window_started_at) = match state {
            Some(s) if now - s.window_started_at < self.window => {
                (s.failures + 1, s.window_started_at)
            }
            _ => (1, now),
        };
        let locked_until = (failures >= self.max_failures).then(|| now + self.lockout);
        ThrottleState {
            failures,
            window_started_at,
            locked_until,
        }
    }
}

impl LoginThrottle {
    /// The state once an attempt counted beforehand (as every attempt is, before its
    /// password is checked) turned out to succeed: one failure fewer, and no lock unless
    /// the failures left still reach the limit.
    pub fn forgive_one(&self, state: &ThrottleState) -> ThrottleState {
        let failures = state.failures.saturating_sub(1);
        ThrottleState {
            failures,
            window_started_at: state.window_started_at,
            locked_until: state.locked_until.filter(|_| failures >= self.max_failures),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn the_fifth_failure_in_the_window_locks_for_the_lockout() {
        let policy = LoginThrottle::default();
        let mut state = None;
        for minute in 0..4 {
            let next = policy.record_failure(state.as_ref(), at(minute));
            assert_eq!(next.locked_until, None);
            state = Some(next);
        }
        let locked = policy.record_failure(state.as_ref(), at(4));
        assert_eq!(locked.locked_until, Some(at(19)));
        assert_eq!(policy.locked_until(Some(&locked), at(18)), Some(at(19)));
        assert_eq!(policy.locked_until(Some(&locked), at(19)), None);
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let policy = LoginThrottle::default();
        let old = ThrottleState {
            failures: 4,
            window_started_at: at(0),
            locked_until: None,
        };
        let next = policy.record_failure(Some(&old), at(15));
        assert_eq!(next.failures, 1);
        assert_eq!(next.window_started_at, at(15));
        assert_eq!(next.locked_until, None);
    }

    #[test]
    fn a_successful_attempt_counted_beforehand_is_forgiven() {
        let client = LoginThrottle::default().per_client();
        assert_eq!(client.max_failures, 30);
        // The 30th attempt in the window was counted (and locked) before its password
        // proved right: 29 failures remain, under the limit of 30, so no lock.
        let counted = ThrottleState {
            failures: 30,
            window_started_at: at(0),
            locked_until: Some(at(20)),
        };
        let forgiven = client.forgive_one(&counted);
        assert_eq!(forgiven.failures, 29);
        assert_eq!(forgiven.locked_until, None);
        // 31 counted (a concurrent failure reached the limit too): 30 remain, still locked.
        let forgiven = client.forgive_one(&ThrottleState {
            failures: 31,
            ..counted
        });
        assert_eq!(forgiven.locked_until, Some(at(20)));
    }
}
