//! A host for a provider crate's own tests (feature `test-util`): an emulator answers
//! in-process, its clock fixed, its ledger and counts open to inspection, and what it settles
//! kept for the test to write the notification of.
#![allow(
    clippy::panic,
    reason = "test support: an answer that does not come at once is a bug"
)]

use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use paybridge_core::test_util::FixedClock;
use paybridge_core::{Clock, ProviderId, Timestamp};

use crate::{Answer, Counted, Emulator, Host, Ledger, OutgoingNotification, Payment, RefundEntry};

/// The sandbox's part, in miniature.
#[derive(Debug)]
pub struct TestHost {
    /// The clock the emulator reads.
    pub clock: FixedClock,
    /// The ledger.
    pub ledger: Ledger,
    /// Refunds the emulator asked to settle, in order (final at once: no delay).
    pub settled: Mutex<Vec<(Payment, RefundEntry)>>,
    /// Refunds applied.
    pub applied: AtomicU64,
    /// Resends of a known refund id.
    pub resends: AtomicU64,
    /// Calls refused.
    pub rejected: AtomicU64,
    /// Payments created, barcode charges and payments closed, counted apart from refusals.
    pub payments: [AtomicU64; 3],
    /// Whether refunds are final at once (else they stay pending until [`TestHost::finish`]).
    pub at_once: std::sync::atomic::AtomicBool,
}

impl TestHost {
    /// A host whose clock reads `now` (Unix seconds).
    pub fn new(now: i64) -> TestHost {
        TestHost {
            clock: FixedClock::new(now),
            ledger: Ledger::default(),
            settled: Mutex::default(),
            applied: AtomicU64::new(0),
            resends: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            payments: [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)],
            at_once: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Records a paid payment.
    pub fn pay(&self, payment: Payment) {
        let _ = self.ledger.add_payment(payment);
    }

    /// Makes the pending refund `refund_id` of `provider` succeed now.
    pub fn finish(&self, provider: ProviderId, refund_id: &str) -> Option<(Payment, RefundEntry)> {
        self.ledger.finish(
            provider,
            refund_id,
            crate::RefundState::Succeeded,
            self.clock.now(),
        )
    }

    /// How many of `event` were counted.
    pub fn count_of(&self, event: Counted) -> u64 {
        match event {
            Counted::RefundApplied => self.applied.load(Ordering::SeqCst),
            Counted::Resend => self.resends.load(Ordering::SeqCst),
            Counted::PaymentCreated => self.payments[0].load(Ordering::SeqCst),
            Counted::Charge => self.payments[1].load(Ordering::SeqCst),
            Counted::PaymentClosed => self.payments[2].load(Ordering::SeqCst),
            _ => self.rejected.load(Ordering::SeqCst),
        }
    }
}

impl Host for TestHost {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }
    fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    fn base_url(&self) -> &str {
        "http://127.0.0.1:9"
    }
    fn settles_at_once(&self) -> bool {
        self.at_once.load(Ordering::SeqCst)
    }
    fn timestamp_window_secs(&self) -> i64 {
        300
    }
    fn count(&self, event: Counted) {
        let counter = match event {
            Counted::RefundApplied => &self.applied,
            Counted::Resend => &self.resends,
            Counted::PaymentCreated => &self.payments[0],
            Counted::Charge => &self.payments[1],
            Counted::PaymentClosed => &self.payments[2],
            _ => &self.rejected,
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
    fn settle(&self, _provider: ProviderId, payment: Payment, entry: RefundEntry) {
        if let Ok(mut settled) = self.settled.lock() {
            settled.push((payment, entry));
        }
    }
    fn deliver(&self, _delivery: OutgoingNotification) {}
}

/// The emulator's answer to `request` (its path taken below `prefix`, as the sandbox routes):
/// status, headers and body.
pub fn respond(
    emulator: &dyn Emulator,
    host: &dyn Host,
    request: &http::Request<Bytes>,
    prefix: &str,
) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let mut parts = http::Request::new(()).into_parts().0;
    parts.method = request.method().clone();
    parts.uri = request.uri().clone();
    parts.headers = request.headers().clone();
    let path = request.uri().path();
    let path = path.strip_prefix(prefix).unwrap_or(path);
    collect(emulator.handle(host, &parts, path, request.body()))
}

/// An answer's status, headers and body (the sandbox's answers are complete at once).
pub fn collect(answer: Answer) -> (http::StatusCode, http::HeaderMap, Bytes) {
    let (parts, mut body) = answer.into_parts();
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    loop {
        match http_body::Body::poll_frame(Pin::new(&mut body), &mut cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    out.extend_from_slice(&data);
                }
            }
            Poll::Ready(None) => break,
            Poll::Ready(Some(Err(never))) => match never {},
            Poll::Pending => panic!("the emulator's answer did not come at once"),
        }
    }
    (parts.status, parts.headers, Bytes::from(out))
}
