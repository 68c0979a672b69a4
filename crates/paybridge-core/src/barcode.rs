//! Settling a barcode payment: the merchant scanned the customer's code and asked for the money;
//! the provider may answer paid, refused, "waiting for the buyer" (the customer must confirm on
//! their phone) or nothing readable at all. [`settle`] drives one payment from that first answer
//! to an outcome the merchant can act on, the same way for every provider:
//!
//! - the charge is sent **once**; everything after it is a look-up under the same order
//!   reference, so there can never be two charges;
//! - "succeeded" only from an answer (the charge's or a look-up's) that the provider crate
//!   verified and checked names this order, amount and currency;
//! - "failed" only from an answer that says the charge failed; a charge whose outcome is unknown
//!   is never reported failed;
//! - at the deadline, a payment still unpaid is cancelled — and only right after a look-up
//!   showed it unpaid, because cancelling a paid payment refunds it; when no look-up could say,
//!   the outcome is reported unknown and nothing is cancelled.
//!
//! The provider's side is [`BarcodeSteps`]; time is the steps' too, so tests can script a whole
//! payment in virtual time.

use std::time::Duration;

use async_trait::async_trait;

use crate::{Error, Payment, PaymentStatus};

/// What one call about a barcode payment learned, already verified and checked against the
/// order by the provider crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BarcodeAnswer {
    /// The provider holds the payment in this state (paid, waiting, failed, closed…).
    Payment(Payment),
    /// The provider holds no payment under this order reference (yet).
    NotFound,
}

/// What a cancel (reverse) call answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelAnswer {
    /// Cancelled: the payment is closed, or, if it had been paid meanwhile, refunded — either
    /// way no money stays with the merchant. The payment as it now stands.
    Done(Payment),
    /// The provider asks for the cancel to be called again (Alipay's `retry_flag` `Y`).
    Retry,
}

/// The provider's side of a barcode payment.
#[async_trait]
pub trait BarcodeSteps: Send + Sync {
    /// The provider's short name, for errors.
    fn provider(&self) -> &'static str;
    /// Sends the charge (once).
    async fn charge(&self) -> Result<BarcodeAnswer, Error>;
    /// Looks the payment up by its order reference.
    async fn query(&self) -> Result<BarcodeAnswer, Error>;
    /// Whether the provider can cancel (reverse) a barcode payment.
    fn can_cancel(&self) -> bool;
    /// Cancels (reverses) the payment.
    async fn cancel(&self) -> Result<CancelAnswer, Error>;
    /// Time since the charge was first sent.
    fn elapsed(&self) -> Duration;
    /// Waits before the next look-up.
    async fn wait(&self, duration: Duration);
}

/// How long to wait for the buyer and how often to look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarcodePolicy {
    /// How long the buyer has to confirm before the payment is cancelled.
    pub deadline: Duration,
    /// Time between look-ups.
    pub poll_interval: Duration,
    /// How many times a cancel is tried (a retry answer or an error counts).
    pub cancel_attempts: u32,
}

impl Default for BarcodePolicy {
    /// Alipay's own demo: five look-ups five seconds apart, then cancel.
    fn default() -> BarcodePolicy {
        BarcodePolicy {
            deadline: Duration::from_secs(30),
            poll_interval: Duration::from_secs(5),
            cancel_attempts: 3,
        }
    }
}

impl BarcodePolicy {
    /// A policy for `deadline`: six look-ups across it (Alipay's demo: 5 s apart over 30 s),
    /// never more often than every 100 ms nor less often than every 5 s.
    pub fn for_deadline(deadline: Duration) -> BarcodePolicy {
        BarcodePolicy {
            deadline,
            poll_interval: (deadline / 6).clamp(Duration::from_millis(100), Duration::from_secs(5)),
            cancel_attempts: 3,
        }
    }
}

/// What is known about the payment while waiting.
enum Known {
    /// A verified answer showed it unpaid (waiting for the buyer, or not there at all).
    Unpaid(Option<Payment>),
    /// The last call gave no readable answer.
    Unknown(Error),
}

/// Drives a barcode payment from its charge to an outcome. See the module documentation for
/// the rules it keeps.
///
/// # Errors
/// The charge's own error when the charge was refused readably or never sent (nothing was
/// taken); [`Error::OutcomeUnknown`] when money may have been taken and no verified answer says
/// what became of it (resolve by a look-up under the same order reference — never by charging
/// again).
pub async fn settle(steps: &dyn BarcodeSteps, policy: BarcodePolicy) -> Result<Payment, Error> {
    match steps.charge().await {
        Ok(BarcodeAnswer::Payment(payment)) if payment.status != PaymentStatus::Pending => {
            return Ok(payment);
        }
        // Waiting for the buyer; or no answer to read (a charge answered "no such payment"
        // proves nothing about the charge itself): either way, look it up.
        Ok(_) => {}
        Err(error) if !error.may_have_applied() => return Err(error),
        Err(_) => {}
    }
    // At least one look-up, however short the deadline (or slow the charge): only a look-up
    // can show the payment unpaid before it is cancelled.
    let known = loop {
        let left = policy.deadline.saturating_sub(steps.elapsed());
        steps.wait(policy.poll_interval.min(left)).await;
        let known = match steps.query().await {
            Ok(BarcodeAnswer::Payment(payment)) if payment.status != PaymentStatus::Pending => {
                return Ok(payment);
            }
            Ok(BarcodeAnswer::Payment(waiting)) => Known::Unpaid(Some(waiting)),
            Ok(BarcodeAnswer::NotFound) => Known::Unpaid(None),
            Err(error) => Known::Unknown(error),
        };
        if steps.elapsed() >= policy.deadline {
            break known;
        }
    };
    let waiting = match known {
        Known::Unpaid(waiting) => waiting,
        Known::Unknown(error) => {
            return Err(Error::OutcomeUnknown {
                provider: steps.provider(),
                reason: format!(
                    "the buyer's deadline passed and the last look-up gave no answer ({}); \
                     the payment was not cancelled, since cancelling a paid payment refunds it",
                    error.summary()
                ),
            });
        }
    };
    if !steps.can_cancel() {
        // Still waiting, and this provider cannot reverse it: say so, as it stands.
        return match waiting {
            Some(payment) => Ok(payment),
            None => Err(Error::OutcomeUnknown {
                provider: steps.provider(),
                reason: "the buyer's deadline passed with no payment found, and the provider \
                         cannot cancel one"
                    .into(),
            }),
        };
    }
    let mut last_error = None;
    for attempt in 0..policy.cancel_attempts.max(1) {
        if attempt > 0 {
            steps.wait(policy.poll_interval).await;
        }
        match steps.cancel().await {
            Ok(CancelAnswer::Done(payment)) => return Ok(payment),
            Ok(CancelAnswer::Retry) => last_error = None,
            Err(error) => last_error = Some(error),
        }
    }
    Err(Error::OutcomeUnknown {
        provider: steps.provider(),
        reason: format!(
            "the buyer's deadline passed and the cancel did not complete{}",
            last_error.map_or(String::new(), |e| format!(" ({})", e.summary()))
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use proptest::prelude::*;

    use super::*;
    use crate::{Currency, Delivery, Money, OrderRef, TransportErrorKind};

    /// A scripted answer.
    #[derive(Clone, Copy, Debug)]
    enum Said {
        Paid,
        Waiting,
        Failed,
        Closed,
        NotFound,
        /// Dropped on the way back: may have been applied.
        Dropped,
        /// Refused readably (bad code): nothing applied.
        Refused,
        /// Answered but could not be verified.
        Forged,
    }

    #[derive(Clone, Copy, Debug)]
    enum CancelSaid {
        Closed,
        Refunded,
        Retry,
        Dropped,
    }

    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    enum Call {
        Charge,
        Query,
        /// A cancel, with the time it was sent and whether the call before it (or the cancel
        /// retried before it) was a look-up that showed the payment unpaid.
        Cancel {
            at: Duration,
            after_unpaid: bool,
        },
    }

    struct Script {
        charge: Said,
        queries: Mutex<VecDeque<Said>>,
        cancels: Mutex<VecDeque<CancelSaid>>,
        can_cancel: bool,
        now: Mutex<Duration>,
        call_time: Duration,
        calls: Mutex<Vec<(Call, Said)>>,
        /// Whether the provider has (at any point) taken the money.
        paid: Mutex<bool>,
        last_unpaid: Mutex<bool>,
    }

    fn payment(status: PaymentStatus) -> Payment {
        Payment {
            provider: "scripted".into(),
            order_ref: OrderRef::new("o-1").unwrap(),
            payment: Some("t-1".into()),
            amount: Money::new(100, Currency::Cny),
            status,
            provider_status: None,
            action: None,
        }
    }

    impl Script {
        fn answer(&self, said: Said, look_up: bool) -> Result<BarcodeAnswer, Error> {
            *self.now.lock().unwrap() += self.call_time;
            // Only a look-up's answer can show the payment unpaid for a cancel.
            let unpaid = look_up && matches!(said, Said::Waiting | Said::NotFound);
            *self.last_unpaid.lock().unwrap() = unpaid;
            match said {
                Said::Paid => {
                    *self.paid.lock().unwrap() = true;
                    Ok(BarcodeAnswer::Payment(payment(PaymentStatus::Succeeded)))
                }
                Said::Waiting => Ok(BarcodeAnswer::Payment(payment(PaymentStatus::Pending))),
                Said::Failed => Ok(BarcodeAnswer::Payment(payment(PaymentStatus::Failed))),
                Said::Closed => Ok(BarcodeAnswer::Payment(payment(PaymentStatus::Closed))),
                Said::NotFound => Ok(BarcodeAnswer::NotFound),
                Said::Dropped => Err(Error::Transport {
                    kind: TransportErrorKind::ConnectionLost,
                    delivery: Delivery::MaybeDelivered,
                    message: "dropped".into(),
                }),
                Said::Refused => Err(Error::Rejected {
                    provider: "scripted",
                    code: "AUTH_CODE_INVALID".into(),
                    message: "bad code".into(),
                    class: crate::RejectionClass::CallerError,
                }),
                Said::Forged => Err(Error::Verification {
                    provider: "scripted",
                    reason: "bad signature".into(),
                }),
            }
        }
    }

    #[async_trait]
    impl BarcodeSteps for Script {
        fn provider(&self) -> &'static str {
            "scripted"
        }
        async fn charge(&self) -> Result<BarcodeAnswer, Error> {
            self.calls.lock().unwrap().push((Call::Charge, self.charge));
            self.answer(self.charge, false)
        }
        async fn query(&self) -> Result<BarcodeAnswer, Error> {
            let said = self
                .queries
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Said::Waiting);
            self.calls.lock().unwrap().push((Call::Query, said));
            self.answer(said, true)
        }
        fn can_cancel(&self) -> bool {
            self.can_cancel
        }
        async fn cancel(&self) -> Result<CancelAnswer, Error> {
            let at = *self.now.lock().unwrap();
            let after_unpaid = *self.last_unpaid.lock().unwrap();
            *self.now.lock().unwrap() += self.call_time;
            let said = self
                .cancels
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(CancelSaid::Closed);
            self.calls
                .lock()
                .unwrap()
                .push((Call::Cancel { at, after_unpaid }, Said::Closed));
            match said {
                CancelSaid::Closed => Ok(CancelAnswer::Done(payment(PaymentStatus::Closed))),
                CancelSaid::Refunded => Ok(CancelAnswer::Done(payment(PaymentStatus::Refunded))),
                CancelSaid::Retry => Ok(CancelAnswer::Retry),
                CancelSaid::Dropped => Err(Error::OutcomeUnknown {
                    provider: "scripted",
                    reason: "dropped".into(),
                }),
            }
        }
        fn elapsed(&self) -> Duration {
            *self.now.lock().unwrap()
        }
        async fn wait(&self, duration: Duration) {
            *self.now.lock().unwrap() += duration;
        }
    }

    fn said() -> impl Strategy<Value = Said> {
        prop_oneof![
            Just(Said::Paid),
            Just(Said::Waiting),
            Just(Said::Failed),
            Just(Said::Closed),
            Just(Said::NotFound),
            Just(Said::Dropped),
            Just(Said::Refused),
            Just(Said::Forged),
        ]
    }

    fn cancel_said() -> impl Strategy<Value = CancelSaid> {
        prop_oneof![
            Just(CancelSaid::Closed),
            Just(CancelSaid::Refunded),
            Just(CancelSaid::Retry),
            Just(CancelSaid::Dropped),
        ]
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        // The scripted steps never pend, so one poll finishes the future.
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut future = std::pin::pin!(future);
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(output) => output,
            std::task::Poll::Pending => panic!("scripted steps never wait for real"),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn never_two_charges_never_failed_while_money_may_be_taken_cancel_only_after_the_deadline(
            charge in said(),
            queries in proptest::collection::vec(said(), 0..12),
            cancels in proptest::collection::vec(cancel_said(), 0..4),
            can_cancel in any::<bool>(),
            deadline_s in 0u64..40,
            interval_s in 1u64..10,
            call_ms in 0u64..3000,
        ) {
            let script = Script {
                charge,
                queries: Mutex::new(queries.into()),
                cancels: Mutex::new(cancels.into()),
                can_cancel,
                now: Mutex::new(Duration::ZERO),
                call_time: Duration::from_millis(call_ms),
                calls: Mutex::new(Vec::new()),
                paid: Mutex::new(false),
                last_unpaid: Mutex::new(false),
            };
            let policy = BarcodePolicy {
                deadline: Duration::from_secs(deadline_s),
                poll_interval: Duration::from_secs(interval_s),
                cancel_attempts: 3,
            };
            let outcome = block_on(settle(&script, policy));
            let calls = script.calls.lock().unwrap().clone();

            // Never two charges.
            let charges = calls.iter().filter(|(c, _)| *c == Call::Charge).count();
            prop_assert_eq!(charges, 1);
            prop_assert_eq!(calls.first().map(|(c, _)| *c), Some(Call::Charge));

            // Cancel only after the deadline, and only right after a look-up showed the
            // payment unpaid.
            for (call, _) in &calls {
                if let Call::Cancel { at, after_unpaid } = call {
                    prop_assert!(*at >= policy.deadline, "cancelled at {at:?}");
                    prop_assert!(*after_unpaid, "cancelled on a guess: {calls:?}");
                    prop_assert!(can_cancel);
                }
            }

            // Whatever answered "paid" decides it, unless a cancel reversed it.
            let told: Vec<Said> = calls.iter().map(|(_, s)| *s).collect();
            match &outcome {
                Ok(payment) => match payment.status {
                    PaymentStatus::Succeeded => prop_assert!(told.iter().any(|s| matches!(s, Said::Paid))),
                    // "Failed" only from an answer that said so.
                    PaymentStatus::Failed => prop_assert!(told.iter().any(|s| matches!(s, Said::Failed))),
                    PaymentStatus::Closed | PaymentStatus::Refunded => {}
                    PaymentStatus::Pending => prop_assert!(!can_cancel),
                    other => prop_assert!(false, "unexpected {other:?}"),
                },
                Err(error) => {
                    // A readable refusal of the charge itself is the only error that says
                    // nothing was taken; every other error must say the outcome is unknown.
                    if matches!(charge, Said::Refused) {
                        let refused = matches!(error, Error::Rejected { .. });
                        prop_assert!(refused);
                        prop_assert_eq!(calls.len(), 1);
                    } else {
                        prop_assert!(error.outcome_unknown(), "{error:?}");
                    }
                }
            }
            // Money taken is never reported as failed or closed-unpaid, unless the charge's
            // own answer said so before any look-up — impossible once paid.
            if *script.paid.lock().unwrap()
                && let Ok(payment) = &outcome
            {
                prop_assert!(payment.status != PaymentStatus::Failed);
            }
        }
    }

    #[test]
    fn a_buyer_who_confirms_in_time_is_paid_without_a_cancel() {
        let script = Script {
            charge: Said::Waiting,
            queries: Mutex::new([Said::Waiting, Said::Dropped, Said::Paid].into()),
            cancels: Mutex::new(VecDeque::new()),
            can_cancel: true,
            now: Mutex::new(Duration::ZERO),
            call_time: Duration::from_millis(100),
            calls: Mutex::new(Vec::new()),
            paid: Mutex::new(false),
            last_unpaid: Mutex::new(false),
        };
        let payment = block_on(settle(&script, BarcodePolicy::default())).unwrap();
        assert_eq!(payment.status, PaymentStatus::Succeeded);
        assert_eq!(script.calls.lock().unwrap().len(), 4);
    }

    #[test]
    fn a_buyer_who_never_confirms_is_cancelled_after_the_deadline() {
        let script = Script {
            charge: Said::Waiting,
            queries: Mutex::new(VecDeque::new()),
            cancels: Mutex::new([CancelSaid::Retry, CancelSaid::Closed].into()),
            can_cancel: true,
            now: Mutex::new(Duration::ZERO),
            call_time: Duration::ZERO,
            calls: Mutex::new(Vec::new()),
            paid: Mutex::new(false),
            last_unpaid: Mutex::new(false),
        };
        let payment = block_on(settle(&script, BarcodePolicy::default())).unwrap();
        assert_eq!(payment.status, PaymentStatus::Closed);
        let calls = script.calls.lock().unwrap();
        // Charge, six look-ups (0..30 s, 5 s apart), two cancels.
        assert_eq!(calls.len(), 1 + 6 + 2, "{calls:?}");
    }

    #[test]
    fn an_unreadable_last_look_up_is_unknown_and_not_cancelled() {
        let script = Script {
            charge: Said::Dropped,
            queries: Mutex::new([Said::Forged; 12].into()),
            cancels: Mutex::new(VecDeque::new()),
            can_cancel: true,
            now: Mutex::new(Duration::ZERO),
            call_time: Duration::ZERO,
            calls: Mutex::new(Vec::new()),
            paid: Mutex::new(false),
            last_unpaid: Mutex::new(false),
        };
        let error = block_on(settle(&script, BarcodePolicy::default())).unwrap_err();
        assert!(error.outcome_unknown());
        assert!(
            !script
                .calls
                .lock()
                .unwrap()
                .iter()
                .any(|(c, _)| matches!(c, Call::Cancel { .. }))
        );
    }
}
