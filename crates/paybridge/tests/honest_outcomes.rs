//! The central promise, as a property: for any scripted sequence of attempt results — a request
//! dropped before or after it was written, a 5xx, a timeout, every code each provider documents
//! — a reliable refund is never reported `Rejected` (or `NotSent`) once any attempt may have
//! been delivered. Look-ups are scripted to fail ("cannot tell"), the hardest case: nothing but
//! the attempts' own answers is there to go by.
#![cfg(all(feature = "bluepay", feature = "nomad", feature = "scanforpay"))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use paybridge::bluepay::{BluePayClient, BluePayConfig};
use paybridge::core::test_util::{FixedClock, SequentialIdGenerator};
use paybridge::nomad::{NomadClient, NomadConfig};
use paybridge::scanforpay::{ScanForPayClient, ScanForPayConfig};
use paybridge::sign::{RsaPrivateKey, RsaPublicKey, SecretString, sha256_keyed_hex};
use paybridge::transport::test_util::{Failure, MockTransport, Scripted};
use paybridge::transport::{NoJitter, RetryPolicy};
use paybridge::{
    Currency, MerchantRefundId, Money, OrderRef, PaymentRef, RefundOutcome, RefundProvider,
    RefundRequest, ReliablePolicy, reliable_refund,
};
use proptest::prelude::*;

const SIGN_KEY: &str = "0123456789abcdef";

/// One attempt's fate.
#[derive(Clone, Debug)]
enum Event {
    /// No connection: nothing was sent.
    NotConnected,
    /// Written, then the connection broke.
    Lost,
    /// Written, no answer in time.
    Timeout,
    /// A 503 page without the provider's envelope.
    ServerError,
    /// A success answer for the refund asked.
    Success,
    /// The provider's code (BluePay, ScanForPay) or HTTP status (Nomad), by index into its table.
    Code(usize),
}

const BLUEPAY_CODES: &[i64] = &[
    21_000, 21_001, 21_002, 21_003, 21_004, 21_005, 21_006, 21_007, 21_008, 21_009, 21_010, 21_011,
    21_012, 21_013, 21_014, 21_015, 21_016, 21_020, 21_401, 21_402, 21_403, 21_404, 21_405, 21_406,
    21_407, 21_408, 21_409, 99_999,
];
const SCANFORPAY_CODES: &[i64] = &[
    2, 3, 4, 5, 6, 7, 8, 9, 20, 21, 22, 30, 31, 32, 33, 34, 35, 40, 41, 42, 43, 44, 77,
];
const NOMAD_STATUSES: &[u16] = &[400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504];

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::NotConnected),
        Just(Event::Lost),
        Just(Event::Timeout),
        Just(Event::ServerError),
        Just(Event::Success),
        (0..64usize).prop_map(Event::Code),
        (0..64usize).prop_map(Event::Code),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Which {
    BluePay,
    Nomad,
    ScanForPay,
}

/// Whether `event`, answering a refund request, means the provider may hold the refund: the
/// request may have arrived unanswered, the answer is a success, or the code says the refund (or
/// its id) may exist. The oracle is written from the providers' documents, independently of the
/// code tables under test.
fn may_have_been_applied(which: Which, event: &Event) -> bool {
    match event {
        Event::NotConnected => false,
        Event::Lost | Event::Timeout | Event::ServerError | Event::Success => true,
        Event::Code(i) => match which {
            // 21000 server error, 21401 refund processing, 21407 duplicate id (the id holds a
            // refund), an undocumented code.
            Which::BluePay => matches!(
                BLUEPAY_CODES[i % BLUEPAY_CODES.len()],
                21_000 | 21_401 | 21_407 | 99_999
            ),
            // 9 unknown system error, 21 state unknown, 22 institution failed, undocumented.
            Which::ScanForPay => matches!(
                SCANFORPAY_CODES[i % SCANFORPAY_CODES.len()],
                9 | 21 | 22 | 77
            ),
            // "Failure at the payment company" on a create.
            Which::Nomad => NOMAD_STATUSES[i % NOMAD_STATUSES.len()] >= 500,
        },
    }
}

fn scanforpay_answer(body: &serde_json::Value) -> Scripted {
    let value = serde_json::json!({
        "header": {"version": "1.0", "partnerNo": "10001", "respMsgId": "m", "respTime": "2024-07-31T16:37:40+08:00", "signType": "SHA256"},
        "body": body,
    })
    .to_string();
    let signature = sha256_keyed_hex(value.as_bytes(), SIGN_KEY.as_bytes());
    Scripted::json(
        200,
        format!(r#"{{"response":{value},"signature":"{signature}"}}"#),
    )
}

/// The scripted answer to a refund request.
fn answer(which: Which, event: &Event) -> Scripted {
    match event {
        Event::NotConnected => Scripted::Fail(Failure::NeverConnected),
        Event::Lost => Scripted::Fail(Failure::WrittenThenLost),
        Event::Timeout => Scripted::Fail(Failure::ResponseTimeout),
        Event::ServerError => Scripted::status(503, "<html>503 Service Unavailable</html>"),
        Event::Success => match which {
            Which::BluePay => Scripted::json(
                200,
                r#"{"code":10000,"message":"Success","data":{"mchRefundOrderId":"r-1","refundTransactionId":"18000000000001","refundAmount":500,"refundStatus":"PENDING","refundCreateTime":"2024-07-31 16:37:40"}}"#,
            ),
            Which::Nomad => Scripted::json(
                200,
                r#"{"code":200,"refundOrderRef":"r-1","orderRef":"o-1","refundAmount":500,"totalAmount":1000,"status":"PROCESSING","currency":"CNY"}"#,
            ),
            Which::ScanForPay => scanforpay_answer(&serde_json::json!({
                "code": 1, "msg": "ok", "orderAmount": 500, "status": 0, "currency": "HKD", "refundNo": "r-1"
            })),
        },
        Event::Code(i) => match which {
            Which::BluePay => Scripted::json(
                200,
                format!(
                    r#"{{"code":{},"message":"scripted"}}"#,
                    BLUEPAY_CODES[i % BLUEPAY_CODES.len()]
                ),
            ),
            Which::Nomad => Scripted::json(
                NOMAD_STATUSES[i % NOMAD_STATUSES.len()],
                r#"{"code":200,"message":"scripted"}"#,
            ),
            Which::ScanForPay => scanforpay_answer(&serde_json::json!({
                "code": SCANFORPAY_CODES[i % SCANFORPAY_CODES.len()], "msg": "scripted"
            })),
        },
    }
}

/// Whether `request` is a refund (as opposed to a look-up).
fn is_refund(request: &http::Request<bytes::Bytes>) -> bool {
    let path = request.uri().path();
    path.ends_with("/open-api/payment/refund")
        || path.ends_with("/api/common/refund")
        || (request.method() == http::Method::POST && path.contains("/refund/"))
}

/// A transport answering refunds from `events` in order (then: never connected) and every
/// look-up with "cannot tell" (a 503, or no connection).
fn transport(which: Which, events: Vec<Event>) -> (MockTransport, Arc<Mutex<Vec<Event>>>) {
    let queue = Arc::new(Mutex::new(VecDeque::from(events)));
    let consumed = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&consumed);
    let mock = MockTransport::with_handler(move |request| {
        if !is_refund(request) {
            return Scripted::status(503, "<html>busy</html>");
        }
        match queue.lock().unwrap().pop_front() {
            Some(event) => {
                seen.lock().unwrap().push(event.clone());
                answer(which, &event)
            }
            None => Scripted::Fail(Failure::NeverConnected),
        }
    });
    (mock, consumed)
}

fn retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        jitter: Arc::new(NoJitter),
        ..RetryPolicy::default()
    }
}

fn client(which: Which, mock: MockTransport) -> Box<dyn RefundProvider> {
    match which {
        Which::BluePay => Box::new(
            BluePayClient::new(
                {
                    let mut value = BluePayConfig::new(
                        "https://api.bluepay.test",
                        "app",
                        RsaPrivateKey::from_bytes(include_bytes!(
                            "../../paybridge-bluepay/tests/data/merchant.pem"
                        ))
                        .unwrap(),
                        RsaPublicKey::from_bytes(include_bytes!(
                            "../../paybridge-bluepay/tests/data/platform.pub.pem"
                        ))
                        .unwrap(),
                    );
                    value.refund_callback_url = Some("https://merchant.test/hooks".into());
                    value.retry = retry();
                    value
                },
                mock,
            )
            .unwrap()
            .with_sources(
                Arc::new(FixedClock::new(1_722_415_059)),
                Arc::new(SequentialIdGenerator::starting_at(1)),
            ),
        ),
        Which::Nomad => Box::new(
            NomadClient::new(
                {
                    let mut value = NomadConfig::new(
                        "https://nomad.test/broker/v1",
                        "wechat.test",
                        SecretString::new("nmd_key_for_tests"),
                    );
                    value.retry = retry();
                    value
                },
                mock,
            )
            .unwrap(),
        ),
        Which::ScanForPay => Box::new(
            ScanForPayClient::new(
                {
                    let mut value = ScanForPayConfig::new(
                        "https://pay.scanforpay.test",
                        "10001",
                        "S001",
                        SecretString::new(SIGN_KEY),
                    );
                    value.retry = retry();
                    value
                },
                mock,
            )
            .unwrap()
            .with_sources(
                Arc::new(FixedClock::new(1_722_415_059)),
                Arc::new(SequentialIdGenerator::starting_at(1)),
            ),
        ),
    }
}

fn request(which: Which) -> RefundRequest {
    let currency = match which {
        Which::BluePay => Currency::Thb,
        Which::Nomad => Currency::Cny,
        Which::ScanForPay => Currency::Hkd,
    };
    RefundRequest::builder(
        MerchantRefundId::new("r-1").unwrap(),
        Money::new(500, currency),
    )
    .payment(PaymentRef::new("p-1").unwrap())
    .order_ref(OrderRef::new("o-1").unwrap())
    .total(Money::new(1000, currency))
    .build()
    .unwrap()
}

fn check(which: Which, events: Vec<Event>) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mock, consumed) = transport(which, events);
    let provider = client(which, mock);
    let policy = ReliablePolicy {
        deadline: Duration::from_millis(300),
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        ..ReliablePolicy::default()
    };
    let outcome = runtime.block_on(reliable_refund(provider.as_ref(), &request(which), &policy));
    let consumed = consumed.lock().unwrap().clone();
    let delivered = consumed.iter().any(|e| may_have_been_applied(which, e));
    if delivered {
        prop_assert!(
            matches!(
                outcome,
                RefundOutcome::Refunded(_) | RefundOutcome::Unknown(_)
            ),
            "{which:?}: attempts {consumed:?} may have been applied, yet the outcome is {outcome:?}"
        );
    }
    if consumed.iter().any(|e| matches!(e, Event::Success)) {
        prop_assert!(
            matches!(
                outcome,
                RefundOutcome::Refunded(_) | RefundOutcome::Unknown(_)
            ),
            "{which:?}: {outcome:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn bluepay_never_rejects_once_an_attempt_may_have_been_applied(events in prop::collection::vec(event(), 1..8)) {
        check(Which::BluePay, events)?;
    }

    #[test]
    fn nomad_never_rejects_once_an_attempt_may_have_been_applied(events in prop::collection::vec(event(), 1..8)) {
        check(Which::Nomad, events)?;
    }

    #[test]
    fn scanforpay_never_rejects_once_an_attempt_may_have_been_applied(events in prop::collection::vec(event(), 1..8)) {
        check(Which::ScanForPay, events)?;
    }
}

/// The property has teeth: a refusal with no delivery before it is reported as a refusal.
#[test]
fn a_plain_refusal_is_still_reported_as_one() {
    for (which, code) in [
        (Which::BluePay, 19usize),    // 21402 refund not allowed
        (Which::ScanForPay, 16usize), // 35 exceeds the refundable amount
        (Which::Nomad, 5usize),       // 422 validation failed
    ] {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (mock, _) = transport(which, vec![Event::Code(code)]);
        let provider = client(which, mock);
        let outcome = runtime.block_on(reliable_refund(
            provider.as_ref(),
            &request(which),
            &ReliablePolicy::default(),
        ));
        assert!(
            matches!(outcome, RefundOutcome::Rejected(_)),
            "{which:?}: {outcome:?}"
        );
        // The same refusal after an attempt that may have been applied is unknown.
        let (mock, _) = transport(which, vec![Event::Lost, Event::Code(code)]);
        let provider = client(which, mock);
        let outcome = runtime.block_on(reliable_refund(
            provider.as_ref(),
            &request(which),
            &ReliablePolicy {
                deadline: Duration::from_millis(300),
                ..ReliablePolicy::default()
            },
        ));
        assert!(
            matches!(outcome, RefundOutcome::Unknown(_)),
            "{which:?}: {outcome:?}"
        );
    }
}
