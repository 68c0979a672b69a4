//! Injectable time and id sources, so that signed requests are reproducible byte for byte in tests.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// A source of the current time. Codecs take one so that `timestamp` and `reqTime` fields can be
/// fixed in tests.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        // A system clock outside years 0000–9999 is broken; the epoch is a harmless stand-in that
        // any provider will reject as an expired timestamp.
        Timestamp::from_unix(secs).unwrap_or(Timestamp::EPOCH)
    }
}

/// A source of unique request ids (ScanForPay's `reqMsgId`, sandbox transaction ids): 32 lowercase
/// hex characters.
pub trait IdGenerator: Send + Sync + fmt::Debug {
    /// A fresh id.
    fn next_id(&self) -> String;
}

/// Random 128-bit ids written as 32 hex digits (a UUID without hyphens).
///
/// The ids need to be unique, not secret, so they come from std's per-process random hasher keys
/// mixed with a counter and the time rather than from a cryptographic generator; two processes or
/// two calls never share an id in practice.
#[derive(Debug, Default)]
pub struct RandomIdGenerator {
    counter: AtomicU64,
}

impl RandomIdGenerator {
    /// A new generator.
    pub fn new() -> RandomIdGenerator {
        RandomIdGenerator::default()
    }

    fn word(&self, lane: u64) -> u64 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(self.counter.fetch_add(1, Ordering::Relaxed));
        hasher.write_u64(lane);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        hasher.write_u128(nanos);
        hasher.finish()
    }
}

impl IdGenerator for RandomIdGenerator {
    fn next_id(&self) -> String {
        let (hi, lo) = (self.word(1), self.word(2));
        format!("{hi:016x}{lo:016x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{FixedClock, FixedIdGenerator, SequentialIdGenerator};
    use std::collections::HashSet;

    #[test]
    fn random_ids_are_32_hex_and_distinct() {
        let generator = RandomIdGenerator::new();
        let ids: HashSet<String> = (0..10_000).map(|_| generator.next_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(
            ids.iter()
                .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        );
    }

    #[test]
    fn fixed_sources_are_fixed() {
        let clock = FixedClock::new(1_722_415_059);
        assert_eq!(clock.now().unix_seconds(), 1_722_415_059);
        clock.advance(1);
        assert_eq!(clock.now().unix_seconds(), 1_722_415_060);
        assert_eq!(FixedIdGenerator::new("abc").next_id(), "abc");
        let seq = SequentialIdGenerator::starting_at(1);
        assert_eq!(seq.next_id(), "00000000000000000000000000000001");
        assert_eq!(seq.next_id(), "00000000000000000000000000000002");
    }

    #[test]
    fn system_clock_is_recent() {
        assert!(SystemClock.now().unix_seconds() > 1_700_000_000);
    }
}
