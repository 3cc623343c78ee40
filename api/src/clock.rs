//! The current time as stored: UTC, truncated to microseconds so both databases round-trip it exactly.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// Now, at the precision the databases keep.
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(now)
}
