//! Login throttling: failed attempts per key (account, client address) in a sliding minute.
//!
//! One instance per process, shared by all workers; several nodes each keep their own count.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);

/// Counts recent failures per key.
#[derive(Debug)]
pub struct LoginThrottle {
    limit: usize,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

/// How many times more failures a client address may have than one account: many people may
/// share an address (an office, a proxy), and one of them must not lock out the rest.
const ADDRESS_FACTOR: usize = 10;

impl LoginThrottle {
    /// Allows `limit` failures per account key per minute (`ip:` keys get ten times as many).
    pub fn new(limit: u32) -> LoginThrottle {
        LoginThrottle { limit: limit as usize, failures: Mutex::new(HashMap::new()) }
    }

    /// The counts. A panic while they were held leaves them poisoned but whole: keep counting
    /// with them rather than stop throttling (or lock everyone out).
    fn failures(&self) -> MutexGuard<'_, HashMap<String, Vec<Instant>>> {
        self.failures.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn limit_for(&self, key: &str) -> usize {
        if key.starts_with("ip:") { self.limit * ADDRESS_FACTOR } else { self.limit }
    }

    /// `Err(seconds)` when any key is over its limit.
    pub fn check(&self, keys: &[String]) -> Result<(), u64> {
        let now = Instant::now();
        let mut failures = self.failures();
        let mut wait = 0;
        for key in keys {
            if let Some(times) = failures.get_mut(key) {
                times.retain(|t| now.duration_since(*t) < WINDOW);
                if times.len() >= self.limit_for(key) {
                    let oldest = times.first().copied().unwrap_or(now);
                    wait = wait.max(WINDOW.saturating_sub(now.duration_since(oldest)).as_secs().max(1));
                }
            }
        }
        if wait > 0 { Err(wait) } else { Ok(()) }
    }

    /// Records a failure against every key.
    pub fn fail(&self, keys: &[String]) {
        let now = Instant::now();
        let mut failures = self.failures();
        if failures.len() > 100_000 {
            failures.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        for key in keys {
            failures.entry(key.clone()).or_default().push(now);
        }
    }

    /// Forgets the failures of a key (after a successful login).
    pub fn clear(&self, key: &str) {
        self.failures().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit() {
        let throttle = LoginThrottle::new(2);
        let keys = vec!["acct:a".to_owned(), "ip:1".to_owned()];
        assert!(throttle.check(&keys).is_ok());
        throttle.fail(&keys);
        throttle.fail(&keys);
        assert!(throttle.check(&keys).unwrap_err() >= 1);
        assert!(throttle.check(&["acct:b".to_owned()]).is_ok());
        throttle.clear("acct:a");
        assert!(throttle.check(&["acct:a".to_owned()]).is_ok());
        assert!(throttle.check(&["ip:1".to_owned()]).is_ok(), "an address has more room than an account");
        for _ in 0..18 {
            throttle.fail(&["ip:1".to_owned()]);
        }
        assert!(throttle.check(&["ip:1".to_owned()]).is_err());
    }

    #[test]
    fn keeps_throttling_after_a_panic_poisoned_the_counts() {
        let throttle = std::sync::Arc::new(LoginThrottle::new(1));
        let keys = vec!["acct:a".to_owned()];
        throttle.fail(&keys);
        let poisoner = std::sync::Arc::clone(&throttle);
        let _ = std::thread::spawn(move || {
            let _held = poisoner.failures.lock();
            panic!("a panic while the counts are held");
        })
        .join();
        assert!(throttle.failures.is_poisoned());
        assert!(throttle.check(&keys).is_err(), "the throttle does not fail open");
        assert!(throttle.check(&["acct:b".to_owned()]).is_ok(), "nor does it lock everyone out");
    }
}
