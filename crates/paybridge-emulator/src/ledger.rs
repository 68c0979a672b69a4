//! One refund ledger for all three providers. Every check-and-apply happens under one lock, so
//! the sum of a payment's refunds can never pass its amount, however many refunds race.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use paybridge_core::{Currency, ProviderId, Timestamp};
use serde::Serialize;

/// Where a refund stands in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Accepted, not final yet.
    Pending,
    /// The money went back.
    Succeeded,
    /// Failed; it does not count against the payment.
    Failed,
}

/// One refund.
#[derive(Clone, Debug, Serialize)]
pub struct RefundEntry {
    /// The merchant's refund id.
    pub refund_id: String,
    /// The provider's id for it.
    pub provider_refund_id: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Its state.
    pub status: RefundState,
    /// When it was applied.
    #[serde(skip)]
    pub created_at: Timestamp,
    /// When it became final.
    #[serde(skip)]
    pub completed_at: Option<Timestamp>,
    /// Requests that carried this refund id: 1, plus every resend.
    pub attempts: u32,
    /// Where its notification goes.
    #[serde(skip)]
    pub callback_url: Option<String>,
    /// The reason given.
    #[serde(skip)]
    pub reason: Option<String>,
}

/// One paid payment.
#[derive(Clone, Debug, Serialize)]
pub struct Payment {
    /// Its provider.
    pub provider: ProviderId,
    /// The provider's reference (BluePay `originalTransactionId`, Nomad `transactionId`,
    /// ScanForPay `partnerOrderNo`).
    pub payment: String,
    /// The merchant's order reference.
    pub order_ref: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Its currency.
    pub currency: Currency,
    /// Refunds, in the order they were applied.
    pub refunds: Vec<RefundEntry>,
    /// When it was paid.
    #[serde(skip)]
    pub paid_at: Timestamp,
    /// Closed without payment (Nomad's close payment).
    #[serde(skip)]
    pub closed: bool,
    /// Paid by the customer. A payment created through a provider's payment API waits for the
    /// customer until then, and cannot be refunded.
    #[serde(skip)]
    pub paid: bool,
    /// Where the provider sends this payment's notification (from its creation).
    #[serde(skip)]
    pub notify_url: Option<String>,
    /// When an unpaid payment stops being payable.
    #[serde(skip)]
    pub expires_at: Option<Timestamp>,
    /// The customer walked away (`POST /_sandbox/customer` `abandon`): they will not pay it.
    #[serde(skip)]
    pub abandoned: bool,
    /// The provider's name for how it is paid (`NATIVE`, `bar_code`, `QUICK_WAP_WAY`…).
    #[serde(skip)]
    pub scene: Option<String>,
    /// Cancelled after it was paid: the whole amount went back to the customer.
    #[serde(skip)]
    pub reversed: bool,
    /// Running sum of refunds that did not fail (kept so a refund is O(1), not O(refunds)).
    #[serde(skip)]
    refunded: i64,
    /// Running sum of refunds that succeeded.
    #[serde(skip)]
    settled: i64,
}

impl Payment {
    /// A paid payment with no refunds.
    pub fn new(
        provider: ProviderId,
        payment: String,
        order_ref: String,
        amount_minor: i64,
        currency: Currency,
        paid_at: Timestamp,
    ) -> Payment {
        Payment {
            provider,
            payment,
            order_ref,
            amount_minor,
            currency,
            refunds: Vec::new(),
            paid_at,
            closed: false,
            paid: true,
            notify_url: None,
            expires_at: None,
            abandoned: false,
            scene: None,
            reversed: false,
            refunded: 0,
            settled: 0,
        }
    }

    /// A payment created through the provider's payment API, waiting for the customer to pay
    /// (`created_at` stands where the payment time will).
    pub fn awaiting_payment(
        provider: ProviderId,
        payment: String,
        order_ref: String,
        amount_minor: i64,
        currency: Currency,
        created_at: Timestamp,
    ) -> Payment {
        Payment {
            paid: false,
            ..Payment::new(
                provider,
                payment,
                order_ref,
                amount_minor,
                currency,
                created_at,
            )
        }
    }

    /// The sum of refunds that did not fail.
    pub fn refunded_minor(&self) -> i64 {
        self.refunded
    }

    /// The sum of refunds that succeeded.
    pub fn settled_refunds_minor(&self) -> i64 {
        self.settled
    }

    /// Whether it can no longer be paid at `now`: closed, or unpaid past its expiry.
    pub fn closed_at(&self, now: Timestamp) -> bool {
        self.closed
            || (!self.paid
                && self
                    .expires_at
                    .is_some_and(|at| at.unix_seconds() <= now.unix_seconds()))
    }

    /// The payment without its refund list: what hot paths need, at a constant cost however many
    /// refunds the payment has.
    pub fn summary(&self) -> Payment {
        Payment {
            provider: self.provider,
            payment: self.payment.clone(),
            order_ref: self.order_ref.clone(),
            amount_minor: self.amount_minor,
            currency: self.currency,
            refunds: Vec::new(),
            paid_at: self.paid_at,
            closed: self.closed,
            paid: self.paid,
            notify_url: self.notify_url.clone(),
            expires_at: self.expires_at,
            abandoned: self.abandoned,
            scene: self.scene.clone(),
            reversed: self.reversed,
            refunded: self.refunded,
            settled: self.settled,
        }
    }
}

/// The outcome of applying a refund.
#[derive(Clone, Debug)]
pub enum Applied {
    /// A new refund was recorded.
    New(Payment, RefundEntry),
    /// A refund with this id exists already; nothing was recorded.
    Duplicate(Payment, RefundEntry),
}

/// Why a refund was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No such payment.
    PaymentNotFound,
    /// The payment was closed unpaid.
    PaymentClosed,
    /// The customer has not paid yet.
    NotPaid,
    /// The refund would take the total past the payment.
    Exceeds {
        /// What could still be refunded.
        refundable: i64,
    },
    /// Another refund of this payment is still pending (BluePay allows one at a time).
    PendingExists,
    /// The payment has as many refunds as the provider allows.
    TooManyRefunds,
}

/// What the customer does with a pending payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerAction {
    /// Pays it.
    Pay,
    /// Walks away: it stays unpaid until it is closed or expires.
    Abandon,
}

/// Why the customer cannot act on a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CustomerRefusal {
    /// No payment under that reference.
    NotFound,
    /// It is paid already.
    AlreadyPaid,
    /// Closed, cancelled or expired.
    Closed,
    /// The customer walked away from it.
    Abandoned,
}

/// Why a payment cannot be closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseRefusal {
    /// No payment under that reference.
    NotFound,
    /// It is paid: refund it instead.
    Paid,
}

/// A refund request to the ledger.
#[derive(Clone, Debug)]
pub struct NewRefund {
    /// Its provider.
    pub provider: ProviderId,
    /// The payment it refunds (provider reference or order reference).
    pub payment: String,
    /// The merchant's refund id.
    pub refund_id: String,
    /// Minor units.
    pub amount_minor: i64,
    /// Where its notification goes.
    pub callback_url: Option<String>,
    /// The reason given.
    pub reason: Option<String>,
    /// Refuse while another refund of the payment is pending.
    pub one_pending_at_a_time: bool,
    /// Record it final (succeeded) at once.
    pub final_at_once: bool,
    /// How many refunds a payment may have at most.
    pub max_refunds: Option<usize>,
    /// Refund ids are unique within their payment only (Alipay's `out_request_no` is unique
    /// per trade), not across the merchant's payments.
    pub ids_per_payment: bool,
    /// When.
    pub now: Timestamp,
}

#[derive(Default)]
struct State {
    payments: Vec<Payment>,
    by_payment: HashMap<(ProviderId, String), usize>,
    by_order: HashMap<(ProviderId, String), usize>,
    /// Refunds by provider, scope (the payment's reference where ids are unique per payment,
    /// empty where they are unique per merchant) and refund id.
    by_refund: HashMap<(ProviderId, String, String), (usize, usize)>,
    /// The providers whose refund ids are unique per payment only.
    per_payment: std::collections::HashSet<ProviderId>,
    auth_codes: HashMap<(ProviderId, String), bool>,
    next_id: u64,
}

impl State {
    /// Where the refund `refund_id` of `provider` is: in `payment` (a payment index) where ids
    /// are per payment, else anywhere of the merchant's. Without a payment, the first one found.
    fn locate(
        &self,
        provider: ProviderId,
        payment: Option<usize>,
        refund_id: &str,
    ) -> Option<(usize, usize)> {
        if !self.per_payment.contains(&provider) {
            return self
                .by_refund
                .get(&(provider, String::new(), refund_id.to_owned()))
                .copied();
        }
        match payment {
            Some(index) => {
                let scope = self.payments.get(index)?.payment.clone();
                self.by_refund
                    .get(&(provider, scope, refund_id.to_owned()))
                    .copied()
            }
            None => self
                .by_refund
                .iter()
                .find(|((p, _, id), _)| *p == provider && id == refund_id)
                .map(|(_, at)| *at),
        }
    }
}

/// The ledger.
#[derive(Default)]
pub struct Ledger {
    state: Mutex<State>,
}

impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ledger")
            .field("payments", &self.lock().payments.len())
            .finish()
    }
}

impl Ledger {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh number for ids.
    pub fn next_number(&self) -> u64 {
        let mut state = self.lock();
        state.next_id += 1;
        state.next_id
    }

    /// Records a paid payment. `payment` and `order_ref` must be new for the provider.
    ///
    /// # Errors
    /// The payment already recorded under that reference.
    #[allow(
        clippy::result_large_err,
        reason = "the payment already there is what the caller compares with; a sandbox call, not a hot path"
    )]
    pub fn add_payment(&self, payment: Payment) -> Result<Payment, Payment> {
        let mut state = self.lock();
        let key = (payment.provider, payment.payment.clone());
        let order = (payment.provider, payment.order_ref.clone());
        if let Some(&i) = state
            .by_payment
            .get(&key)
            .or_else(|| state.by_order.get(&order))
        {
            return Err(state.payments.get(i).map_or(payment, Payment::summary));
        }
        let index = state.payments.len();
        state.by_payment.insert(key, index);
        state.by_order.insert(order, index);
        state.payments.push(payment.clone());
        Ok(payment)
    }

    fn index_of(state: &State, provider: ProviderId, reference: &str) -> Option<usize> {
        state
            .by_payment
            .get(&(provider, reference.to_owned()))
            .or_else(|| state.by_order.get(&(provider, reference.to_owned())))
            .copied()
    }

    /// The payment with provider reference or order reference `reference`, with every refund.
    pub fn payment(&self, provider: ProviderId, reference: &str) -> Option<Payment> {
        let state = self.lock();
        Ledger::index_of(&state, provider, reference).and_then(|i| state.payments.get(i).cloned())
    }

    /// The same payment without its refund list (constant cost).
    pub fn payment_summary(&self, provider: ProviderId, reference: &str) -> Option<Payment> {
        let state = self.lock();
        Ledger::index_of(&state, provider, reference)
            .and_then(|i| state.payments.get(i))
            .map(Payment::summary)
    }

    /// Marks a payment closed; false if there is none.
    pub fn close(&self, provider: ProviderId, reference: &str) -> bool {
        let mut state = self.lock();
        match Ledger::index_of(&state, provider, reference).and_then(|i| state.payments.get_mut(i))
        {
            Some(payment) => {
                payment.closed = true;
                true
            }
            None => false,
        }
    }

    /// The customer acts on a pending payment: pays it, or walks away from it.
    ///
    /// # Errors
    /// [`CustomerRefusal`] when there is no such payment, or it can no longer be paid.
    pub fn customer(
        &self,
        provider: ProviderId,
        order_ref: &str,
        action: CustomerAction,
        now: Timestamp,
    ) -> Result<Payment, CustomerRefusal> {
        let mut state = self.lock();
        let payment = Ledger::index_of(&state, provider, order_ref)
            .and_then(|i| state.payments.get_mut(i))
            .ok_or(CustomerRefusal::NotFound)?;
        if payment.paid {
            return Err(CustomerRefusal::AlreadyPaid);
        }
        if payment.closed_at(now) {
            return Err(CustomerRefusal::Closed);
        }
        match action {
            CustomerAction::Pay if payment.abandoned => return Err(CustomerRefusal::Abandoned),
            CustomerAction::Pay => {
                payment.paid = true;
                payment.paid_at = now;
            }
            CustomerAction::Abandon => payment.abandoned = true,
        }
        Ok(payment.summary())
    }

    /// The merchant closes an unpaid payment (idempotent: closing a closed one answers it).
    ///
    /// # Errors
    /// [`CloseRefusal::NotFound`], or [`CloseRefusal::Paid`] for a paid payment (refund it).
    pub fn close_unpaid(
        &self,
        provider: ProviderId,
        reference: &str,
    ) -> Result<Payment, CloseRefusal> {
        let mut state = self.lock();
        let payment = Ledger::index_of(&state, provider, reference)
            .and_then(|i| state.payments.get_mut(i))
            .ok_or(CloseRefusal::NotFound)?;
        if payment.paid && !payment.reversed {
            return Err(CloseRefusal::Paid);
        }
        payment.closed = true;
        Ok(payment.summary())
    }

    /// Cancels (reverses) a payment: an unpaid one is closed; a paid one is closed and its whole
    /// unrefunded amount goes back to the customer. `None` when there is no such payment.
    pub fn reverse(&self, provider: ProviderId, reference: &str) -> Option<Payment> {
        let mut state = self.lock();
        let payment = Ledger::index_of(&state, provider, reference)
            .and_then(|i| state.payments.get_mut(i))?;
        if payment.paid && !payment.closed {
            payment.reversed = true;
            payment.refunded = payment.amount_minor;
            payment.settled = payment.amount_minor;
        }
        payment.closed = true;
        Some(payment.summary())
    }

    /// Issues a payment code as a customer's wallet shows it: 18 digits, starting with the
    /// wallet's prefix. `needs_password`: the charge waits for the customer to confirm
    /// (`POST /_sandbox/customer`), as large or risky payments do.
    pub fn issue_auth_code(
        &self,
        provider: ProviderId,
        prefix: &str,
        needs_password: bool,
    ) -> String {
        let mut state = self.lock();
        state.next_id += 1;
        let code = format!("{prefix}{:016}", 1_000_000_000_000 + state.next_id);
        state
            .auth_codes
            .insert((provider, code.clone()), needs_password);
        code
    }

    /// Takes a payment code for a charge: `Some(needs_password)` the first time a code this
    /// ledger issued is used, `None` for a code it never issued or one already used.
    pub fn take_auth_code(&self, provider: ProviderId, code: &str) -> Option<bool> {
        self.lock().auth_codes.remove(&(provider, code.to_owned()))
    }

    /// The refund with merchant id `refund_id`, and its payment.
    pub fn refund(&self, provider: ProviderId, refund_id: &str) -> Option<(Payment, RefundEntry)> {
        let state = self.lock();
        let (p, r) = state.locate(provider, None, refund_id)?;
        let payment = state.payments.get(p)?;
        Some((payment.summary(), payment.refunds.get(r)?.clone()))
    }

    /// Records a resend of the refund with merchant id `refund_id` and returns it with its
    /// payment, if there is one.
    pub fn resend(&self, provider: ProviderId, refund_id: &str) -> Option<(Payment, RefundEntry)> {
        let mut state = self.lock();
        let (p, r) = state.locate(provider, None, refund_id)?;
        let payment = state.payments.get_mut(p)?;
        let entry = payment.refunds.get_mut(r)?;
        entry.attempts = entry.attempts.saturating_add(1);
        let entry = entry.clone();
        Some((payment.summary(), entry))
    }

    /// Applies a refund: a repeated id is recorded as another attempt of the refund it names and
    /// reported, never applied twice; the cap is enforced.
    ///
    /// # Errors
    /// The [`Refusal`] the provider's rules give; nothing is recorded.
    pub fn apply(&self, request: NewRefund) -> Result<Applied, Refusal> {
        let mut state = self.lock();
        if request.ids_per_payment {
            state.per_payment.insert(request.provider);
        }
        let scope_index = if request.ids_per_payment {
            Some(
                Ledger::index_of(&state, request.provider, &request.payment)
                    .ok_or(Refusal::PaymentNotFound)?,
            )
        } else {
            None
        };
        if let Some((p, r)) = state.locate(request.provider, scope_index, &request.refund_id) {
            let payment = state.payments.get_mut(p).ok_or(Refusal::PaymentNotFound)?;
            let entry = payment.refunds.get_mut(r).ok_or(Refusal::PaymentNotFound)?;
            entry.attempts = entry.attempts.saturating_add(1);
            let entry = entry.clone();
            return Ok(Applied::Duplicate(payment.summary(), entry));
        }
        let index = Ledger::index_of(&state, request.provider, &request.payment)
            .ok_or(Refusal::PaymentNotFound)?;
        state.next_id += 1;
        let number = state.next_id;
        let payment = state
            .payments
            .get_mut(index)
            .ok_or(Refusal::PaymentNotFound)?;
        if payment.closed {
            return Err(Refusal::PaymentClosed);
        }
        if !payment.paid {
            return Err(Refusal::NotPaid);
        }
        if request.one_pending_at_a_time
            && payment
                .refunds
                .iter()
                .any(|r| r.status == RefundState::Pending)
        {
            return Err(Refusal::PendingExists);
        }
        if request
            .max_refunds
            .is_some_and(|max| payment.refunds.len() >= max)
        {
            return Err(Refusal::TooManyRefunds);
        }
        let refundable = payment.amount_minor - payment.refunded;
        if request.amount_minor > refundable {
            return Err(Refusal::Exceeds { refundable });
        }
        let entry = RefundEntry {
            refund_id: request.refund_id.clone(),
            provider_refund_id: format!("{}{:012}", refund_prefix(request.provider), number),
            amount_minor: request.amount_minor,
            status: if request.final_at_once {
                RefundState::Succeeded
            } else {
                RefundState::Pending
            },
            created_at: request.now,
            completed_at: request.final_at_once.then_some(request.now),
            attempts: 1,
            callback_url: request.callback_url,
            reason: request.reason,
        };
        payment.refunds.push(entry.clone());
        payment.refunded += entry.amount_minor;
        if entry.status == RefundState::Succeeded {
            payment.settled += entry.amount_minor;
        }
        let position = payment.refunds.len() - 1;
        let snapshot = payment.summary();
        let scope = if request.ids_per_payment {
            snapshot.payment.clone()
        } else {
            String::new()
        };
        state.by_refund.insert(
            (request.provider, scope, request.refund_id),
            (index, position),
        );
        Ok(Applied::New(snapshot, entry))
    }

    /// Makes a pending refund final (the first of that id, where ids are unique per payment:
    /// see [`Ledger::finish_in`]).
    pub fn finish(
        &self,
        provider: ProviderId,
        refund_id: &str,
        status: RefundState,
        now: Timestamp,
    ) -> Option<(Payment, RefundEntry)> {
        self.finish_at(provider, None, refund_id, status, now)
    }

    /// Makes the pending refund `refund_id` of `payment` final.
    pub fn finish_in(
        &self,
        provider: ProviderId,
        payment: &str,
        refund_id: &str,
        status: RefundState,
        now: Timestamp,
    ) -> Option<(Payment, RefundEntry)> {
        let index = Ledger::index_of(&self.lock(), provider, payment)?;
        self.finish_at(provider, Some(index), refund_id, status, now)
    }

    fn finish_at(
        &self,
        provider: ProviderId,
        payment: Option<usize>,
        refund_id: &str,
        status: RefundState,
        now: Timestamp,
    ) -> Option<(Payment, RefundEntry)> {
        let mut state = self.lock();
        let (p, r) = state.locate(provider, payment, refund_id)?;
        let payment = state.payments.get_mut(p)?;
        let entry = payment.refunds.get_mut(r)?;
        let mut settled_change = 0;
        let mut refunded_change = 0;
        if entry.status == RefundState::Pending {
            entry.status = status;
            entry.completed_at = Some(now);
            match status {
                RefundState::Succeeded => settled_change = entry.amount_minor,
                RefundState::Failed => refunded_change = -entry.amount_minor,
                RefundState::Pending => {}
            }
        }
        let entry = entry.clone();
        payment.settled += settled_change;
        payment.refunded += refunded_change;
        Some((payment.summary(), entry))
    }

    /// Every payment (for soak checks).
    pub fn payments(&self) -> Vec<Payment> {
        self.lock().payments.clone()
    }
}

fn refund_prefix(provider: ProviderId) -> &'static str {
    match provider {
        ProviderId::BluePay => "18",
        ProviderId::Nomad => "50300",
        ProviderId::ScanForPay => "RF",
        ProviderId::WechatPay => "50300",
        ProviderId::Alipay => "2026",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payment(amount: i64) -> Payment {
        Payment::new(
            ProviderId::BluePay,
            "CU1".into(),
            "O1".into(),
            amount,
            Currency::Thb,
            Timestamp::EPOCH,
        )
    }

    fn refund(id: &str, amount: i64) -> NewRefund {
        NewRefund {
            provider: ProviderId::BluePay,
            payment: "CU1".into(),
            refund_id: id.into(),
            amount_minor: amount,
            callback_url: None,
            reason: None,
            one_pending_at_a_time: false,
            final_at_once: true,
            max_refunds: None,
            ids_per_payment: false,
            now: Timestamp::EPOCH,
        }
    }

    #[test]
    fn the_cap_holds_and_duplicates_are_never_recorded() {
        let ledger = Ledger::default();
        ledger.add_payment(payment(100)).unwrap();
        assert!(matches!(
            ledger.apply(refund("a", 60)),
            Ok(Applied::New(..))
        ));
        assert!(matches!(
            ledger.apply(refund("a", 60)),
            Ok(Applied::Duplicate(..))
        ));
        assert_eq!(
            ledger.apply(refund("b", 41)).unwrap_err(),
            Refusal::Exceeds { refundable: 40 }
        );
        assert!(matches!(
            ledger.apply(refund("b", 40)),
            Ok(Applied::New(..))
        ));
        assert_eq!(
            ledger
                .payment(ProviderId::BluePay, "O1")
                .unwrap()
                .refunded_minor(),
            100
        );
        let mut other = refund("c", 1);
        other.payment = "nope".into();
        assert_eq!(ledger.apply(other).unwrap_err(), Refusal::PaymentNotFound);
    }

    #[test]
    fn a_payment_waiting_for_the_customer_cannot_be_refunded() {
        let ledger = Ledger::default();
        let waiting = Payment::awaiting_payment(
            ProviderId::BluePay,
            "CU1".into(),
            "O1".into(),
            100,
            Currency::Thb,
            Timestamp::EPOCH,
        );
        ledger.add_payment(waiting).unwrap();
        assert_eq!(ledger.apply(refund("a", 10)).unwrap_err(), Refusal::NotPaid);
        assert!(
            ledger
                .payment(ProviderId::BluePay, "CU1")
                .unwrap()
                .refunds
                .is_empty()
        );
    }

    #[test]
    fn ids_unique_per_payment_where_the_provider_says_so() {
        let ledger = Ledger::default();
        ledger.add_payment(payment(100)).unwrap();
        ledger
            .add_payment(Payment::new(
                ProviderId::BluePay,
                "CU2".into(),
                "O2".into(),
                100,
                Currency::Thb,
                Timestamp::EPOCH,
            ))
            .unwrap();
        let mut first = refund("same", 10);
        first.ids_per_payment = true;
        let mut second = first.clone();
        second.payment = "CU2".into();
        second.amount_minor = 20;
        assert!(matches!(ledger.apply(first.clone()), Ok(Applied::New(..))));
        assert!(matches!(ledger.apply(second), Ok(Applied::New(..))));
        assert!(matches!(ledger.apply(first), Ok(Applied::Duplicate(..))));
        assert_eq!(
            ledger.payment(ProviderId::BluePay, "CU2").unwrap().refunds[0].amount_minor,
            20
        );
    }

    #[test]
    fn one_pending_at_a_time_when_asked() {
        let ledger = Ledger::default();
        ledger.add_payment(payment(100)).unwrap();
        let mut first = refund("a", 10);
        first.final_at_once = false;
        first.one_pending_at_a_time = true;
        ledger.apply(first.clone()).unwrap();
        let mut second = first.clone();
        second.refund_id = "b".into();
        assert_eq!(
            ledger.apply(second.clone()).unwrap_err(),
            Refusal::PendingExists
        );
        ledger
            .finish(
                ProviderId::BluePay,
                "a",
                RefundState::Succeeded,
                Timestamp::EPOCH,
            )
            .unwrap();
        assert!(ledger.apply(second).is_ok());
    }
}
