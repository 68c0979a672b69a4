//! Fault injection: a seeded generator decides, per provider call, whether and how to fail, so a
//! failing run can be replayed from its seed.

use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;

/// How a provider call fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The connection is dropped before the request is applied.
    DropBeforeApply,
    /// The request is applied, then the connection is dropped without an answer.
    DropAfterApply,
    /// A 5xx answer; nothing applied.
    ServerError,
    /// The request is applied and the answer is held past the client's timeout.
    Delay,
}

impl FaultKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FaultKind; 4] = [
        FaultKind::DropBeforeApply,
        FaultKind::DropAfterApply,
        FaultKind::ServerError,
        FaultKind::Delay,
    ];
}

/// SplitMix64: tiny, fast, and fully determined by its seed.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The rate as parts per million, so the per-call decision is integer arithmetic.
fn to_ppm(rate: f64) -> u64 {
    #[allow(
        clippy::float_arithmetic,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a probability, clamped to 0..=1e6"
    )]
    let ppm = (rate.clamp(0.0, 1.0) * 1_000_000.0).round() as u64;
    ppm
}

#[derive(Debug)]
struct State {
    ppm: u64,
    rate: f64,
    seed: u64,
    rng: SplitMix64,
}

/// Decides faults.
#[derive(Debug)]
pub struct FaultInjector {
    state: Mutex<State>,
    /// How long a `Delay` fault holds the answer.
    pub delay: Duration,
}

impl FaultInjector {
    /// Faults at `rate` (0–1) from `seed`.
    pub fn new(rate: f64, seed: u64, delay: Duration) -> FaultInjector {
        FaultInjector {
            state: Mutex::new(State {
                ppm: to_ppm(rate),
                rate,
                seed,
                rng: SplitMix64(seed),
            }),
            delay,
        }
    }

    /// Changes the rate and restarts the sequence from `seed`.
    pub fn configure(&self, rate: f64, seed: u64) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *state = State {
            ppm: to_ppm(rate),
            rate,
            seed,
            rng: SplitMix64(seed),
        };
    }

    /// The current rate and seed.
    pub fn settings(&self) -> (f64, u64) {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (state.rate, state.seed)
    }

    /// The fault for the next provider call, if any.
    pub fn next(&self) -> Option<FaultKind> {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.ppm == 0 {
            return None;
        }
        let roll = state.rng.next() % 1_000_000;
        if roll >= state.ppm {
            return None;
        }
        let pick = usize::try_from(state.rng.next() % 4).unwrap_or(0);
        FaultKind::ALL.get(pick).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_faults_at_about_the_rate() {
        let a = FaultInjector::new(0.3, 7, Duration::ZERO);
        let b = FaultInjector::new(0.3, 7, Duration::ZERO);
        let runs: Vec<_> = (0..10_000).map(|_| a.next()).collect();
        assert_eq!(runs, (0..10_000).map(|_| b.next()).collect::<Vec<_>>());
        let faults = runs.iter().flatten().count();
        assert!((2_700..3_300).contains(&faults), "{faults}");
        for kind in FaultKind::ALL {
            assert!(
                runs.iter().flatten().any(|k| *k == kind),
                "{kind:?} never chosen"
            );
        }
        assert!((0..1000).all(|_| FaultInjector::new(0.0, 1, Duration::ZERO).next().is_none()));
    }
}
