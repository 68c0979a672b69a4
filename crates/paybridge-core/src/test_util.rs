//! Test doubles for time and ids (feature `test-util`): a clock that stands still and id
//! generators that are predictable, so tests can assert signed requests byte for byte.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use crate::{Clock, IdGenerator, Timestamp};

/// A clock that reads a set time until told otherwise; for tests and replays.
#[derive(Debug)]
pub struct FixedClock {
    unix_seconds: AtomicI64,
}

impl FixedClock {
    /// A clock stopped at `unix_seconds`.
    pub fn new(unix_seconds: i64) -> FixedClock {
        FixedClock {
            unix_seconds: AtomicI64::new(unix_seconds),
        }
    }

    /// Sets the time.
    pub fn set(&self, unix_seconds: i64) {
        self.unix_seconds.store(unix_seconds, Ordering::SeqCst);
    }

    /// Moves the time forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.unix_seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        let secs = self.unix_seconds.load(Ordering::SeqCst);
        Timestamp::from_unix(secs).unwrap_or(Timestamp::EPOCH)
    }
}

/// Ids `prefix` followed by a counter, padded with zeros to 32 characters (`"0000…0001"`); for
/// tests that want readable, distinct ids.
#[derive(Debug)]
pub struct SequentialIdGenerator {
    counter: AtomicU64,
}

impl SequentialIdGenerator {
    /// A generator whose first id ends in `start`.
    pub fn starting_at(start: u64) -> SequentialIdGenerator {
        SequentialIdGenerator {
            counter: AtomicU64::new(start),
        }
    }
}

impl IdGenerator for SequentialIdGenerator {
    fn next_id(&self) -> String {
        format!("{:032x}", self.counter.fetch_add(1, Ordering::SeqCst))
    }
}

/// Always the same id; for golden tests.
#[derive(Debug)]
pub struct FixedIdGenerator {
    id: Mutex<String>,
}

impl FixedIdGenerator {
    /// A generator that answers `id` every time.
    pub fn new(id: impl Into<String>) -> FixedIdGenerator {
        FixedIdGenerator {
            id: Mutex::new(id.into()),
        }
    }
}

impl IdGenerator for FixedIdGenerator {
    fn next_id(&self) -> String {
        match self.id.lock() {
            Ok(id) => id.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}
