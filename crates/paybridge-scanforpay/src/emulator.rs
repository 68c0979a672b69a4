//! ScanForPay, as its documentation describes it: signed envelopes verified over the raw
//! `request` bytes, codes in the body, answers signed with the partner's key.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it under `/scanforpay`.

use paybridge_core::Endpoint;
use paybridge_core::ProviderId;
use paybridge_emulator::{
    Answer, Applied, Counted, Emulator, Host, NewRefund, OutgoingNotification, Payment,
    RefundEntry, RefundState, Refusal, bytes,
};
use paybridge_sign::SecretString;

use crate::codes;
use crate::wire::requests::{
    BarcodePayBody, DynamicQrBody, HostedQrBody, JsapiBody, PayQueryBody, PaymentCommon,
    RefundBody, WebsiteRedirectBody,
};
use crate::wire::responses::{
    PayQueryResponse, PayUrlResponse, QrResponse, RefundResponse, ResponseHeader, ResponseValue,
};
use paybridge_core::{Currency, Timestamp};
use paybridge_sign::{sha256_keyed_hex, verify_sha256_keyed_hex};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Incoming {
    header: Option<Value>,
    body: Option<Value>,
}

/// The header of every answer and notification: this partner, a fresh message id, Hong Kong time.
fn response_header(cx: &Call<'_>) -> ResponseHeader {
    let at = cx.host.now();
    ResponseHeader {
        version: Some("1.0".into()),
        partner_no: Some(cx.this.partner_no.clone()),
        resp_msg_id: Some(format!("{:032x}", cx.host.ledger().next_number())),
        resp_time: Some(at.with_offset(8 * 60).unwrap_or(at).to_rfc3339()),
        sign_type: Some("SHA256".into()),
    }
}

fn signed<B: Serialize>(cx: &Call<'_>, body: &B) -> Answer {
    let value = ResponseValue {
        header: response_header(cx),
        body,
    };
    bytes(
        200,
        "application/json",
        response_envelope(&value, cx.this.sign_key.expose().as_bytes()),
    )
}

fn fail(cx: &Call<'_>, code: i64) -> Answer {
    cx.host.count(Counted::Rejected);
    signed(
        cx,
        &serde_json::json!({ "code": code, "msg": codes::classify(code).meaning }),
    )
}

fn text_ok(value: &str, max: usize) -> bool {
    !value.is_empty() && value.chars().count() <= max && !value.chars().any(char::is_control)
}

fn handle(cx: &Call<'_>, parts: &http::request::Parts, path: &str, raw: &[u8]) -> Answer {
    if parts.method != http::Method::POST {
        return fail(cx, 3);
    }
    let verified = match verify_request(raw, cx.this.sign_key.expose().as_bytes()) {
        Ok(verified) => verified,
        Err(code) => return fail(cx, code),
    };
    let Ok(incoming) = serde_json::from_str::<Incoming>(verified.raw) else {
        return fail(cx, 6);
    };
    let (Some(Value::Object(header)), Some(body)) = (incoming.header, incoming.body) else {
        return fail(cx, 4);
    };
    let field = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or("");
    if field("partnerNo") != cx.this.partner_no {
        return fail(cx, 3);
    }
    let req_time = header
        .get("reqTime")
        .or_else(|| header.get("requestTime"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if field("version").is_empty()
        || field("signType").is_empty()
        || field("reqMsgId").is_empty()
        || req_time.is_empty()
    {
        return fail(cx, 4);
    }
    if field("version") != "1.0"
        || field("signType") != "SHA256"
        || !text_ok(field("reqMsgId"), 32)
        || Timestamp::parse_rfc3339(req_time).is_err()
    {
        return fail(cx, 5);
    }
    match path {
        RefundBody::PATH => refund(cx, body),
        PayQueryBody::PATH => pay_query(cx, body),
        BarcodePayBody::PATH => match serde_json::from_value::<BarcodePayBody>(body) {
            Ok(b) if text_ok(&b.barcode, 20) => barcode_pay(cx, &b),
            _ => fail(cx, 4),
        },
        DynamicQrBody::PATH => match serde_json::from_value::<DynamicQrBody>(body) {
            Ok(b) => create(cx, &b.common, &b.wallet, None).map_or_else(
                |code| fail(cx, code),
                |p| {
                    signed(
                        cx,
                        &QrResponse {
                            code: Some(1),
                            msg: Some("success".into()),
                            qr_code: Some(format!("https://qr.scanforpay.test/{}", p.payment)),
                        },
                    )
                },
            ),
            Err(_) => fail(cx, 4),
        },
        HostedQrBody::PATH | WebsiteRedirectBody::PATH | JsapiBody::PATH => {
            let wallet = body
                .get("wallet")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let currency = body
                .get("currency")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match serde_json::from_value::<PaymentCommon>(body) {
                Ok(common) if !wallet.is_empty() => {
                    create(cx, &common, &wallet, currency.as_deref()).map_or_else(
                        |code| fail(cx, code),
                        |p| {
                            signed(
                                cx,
                                &PayUrlResponse {
                                    code: Some(1),
                                    msg: Some("success".into()),
                                    pay_url: Some(format!(
                                        "{}/scanforpay/pay/{}",
                                        cx.host.base_url(),
                                        p.payment
                                    )),
                                },
                            )
                        },
                    )
                }
                _ => fail(cx, 4),
            }
        }
        _ => fail(cx, 3),
    }
}

fn refund(cx: &Call<'_>, body: Value) -> Answer {
    let Ok(b) = serde_json::from_value::<RefundBody>(body) else {
        return fail(cx, 4);
    };
    if !text_ok(&b.partner_order_no, 32) || !text_ok(&b.refund_no, 32) || b.order_amount <= 0 {
        return fail(cx, 5);
    }
    if b.operator_id.as_deref().is_some_and(|v| !text_ok(v, 20))
        || b.terminal_no.as_deref().is_some_and(|v| !text_ok(v, 20))
    {
        return fail(cx, 5);
    }
    let applied = cx.host.ledger().apply(NewRefund {
        provider: ProviderId::ScanForPay,
        payment: b.partner_order_no.clone(),
        refund_id: b.refund_no.clone(),
        amount_minor: b.order_amount,
        callback_url: None,
        reason: None,
        one_pending_at_a_time: false,
        final_at_once: cx.host.settles_at_once(),
        max_refunds: None,
        ids_per_payment: false,
        now: cx.host.now(),
    });
    let answer = |payment: &Payment, status: RefundState, amount: i64| RefundResponse {
        code: Some(1),
        msg: Some("success".into()),
        order_amount: Some(amount),
        status: Some(match status {
            RefundState::Pending => 0,
            RefundState::Succeeded => 1,
            RefundState::Failed => 2,
        }),
        currency: Some(payment.currency.code().into()),
        refund_no: Some(b.refund_no.clone()),
    };
    match applied {
        Ok(Applied::New(payment, entry)) => {
            cx.host.count(Counted::RefundApplied);
            let reply = signed(cx, &answer(&payment, entry.status, entry.amount_minor));
            // ScanForPay documents no refund notification, only payment notifications.
            cx.host.settle(ProviderId::ScanForPay, payment, entry);
            reply
        }
        // The same refund number and amount: the original refund. Another amount: duplicate.
        Ok(Applied::Duplicate(payment, entry)) => {
            cx.host.count(Counted::Resend);
            if cx.this.exhausted_quirk && payment.refunded_minor() >= payment.amount_minor {
                return fail(cx, codes::EXCEEDS_REFUNDABLE);
            }
            if entry.amount_minor == b.order_amount && payment.order_ref == b.partner_order_no {
                signed(cx, &answer(&payment, entry.status, entry.amount_minor))
            } else {
                fail(cx, codes::DUPLICATE_ORDER)
            }
        }
        Err(Refusal::PaymentNotFound) => fail(cx, 30),
        Err(Refusal::PaymentClosed | Refusal::NotPaid) => fail(cx, 33),
        Err(Refusal::PendingExists | Refusal::TooManyRefunds) => fail(cx, 32),
        Err(Refusal::Exceeds { .. }) => fail(cx, 35),
    }
}

fn query_answer(p: &Payment, now: Timestamp) -> PayQueryResponse {
    let wallet = p.scene.as_deref().unwrap_or("Wechat");
    let status = if p.paid && p.refunded_minor() > 0 {
        3
    } else if p.paid {
        1
    } else if p.closed_at(now) {
        // ScanForPay has no "closed": an order that can no longer be paid has failed.
        2
    } else {
        0
    };
    PayQueryResponse {
        code: Some(1),
        msg: Some("success".into()),
        order_no: Some(format!("SFP{}", p.payment)),
        partner_order_no: Some(p.order_ref.clone()),
        order_amount: Some(p.amount_minor),
        wallet: Some(wallet.into()),
        status: Some(status),
        pay_time: p.paid.then(|| {
            p.paid_at
                .with_offset(8 * 60)
                .unwrap_or(p.paid_at)
                .to_rfc3339()
        }),
        currency: Some(p.currency.code().into()),
        buyer: None,
        buyer_id: None,
    }
}

fn pay_query(cx: &Call<'_>, body: Value) -> Answer {
    let Ok(b) = serde_json::from_value::<PayQueryBody>(body) else {
        return fail(cx, 4);
    };
    if b.store_no != cx.this.store_no {
        return fail(cx, 5);
    }
    let reference = match (&b.order_no, &b.partner_order_no) {
        (Some(order_no), _) => order_no.trim_start_matches("SFP").to_owned(),
        (None, Some(partner)) => partner.clone(),
        (None, None) => return fail(cx, 7),
    };
    match cx
        .host
        .ledger()
        .payment_summary(ProviderId::ScanForPay, &reference)
    {
        Some(p) => signed(cx, &query_answer(&p, cx.host.now())),
        None => fail(cx, 30),
    }
}

/// Records a payment made through one of the creation calls, waiting for the customer. The
/// same `partnerOrderNo` for the same amount and wallet, still unpaid, is the same order
/// (answered again); anything else under a known `partnerOrderNo` is code 31.
fn create(
    cx: &Call<'_>,
    common: &PaymentCommon,
    wallet: &str,
    currency: Option<&str>,
) -> Result<Payment, i64> {
    if common.store_no != cx.this.store_no {
        return Err(5);
    }
    if !text_ok(&common.partner_order_no, 32) || common.order_amount <= 0 {
        return Err(5);
    }
    let currency = Currency::from_code(currency.unwrap_or("HKD")).map_err(|_| 5)?;
    let mut payment = Payment::awaiting_payment(
        ProviderId::ScanForPay,
        common.partner_order_no.clone(),
        common.partner_order_no.clone(),
        common.order_amount,
        currency,
        cx.host.now(),
    );
    payment.notify_url = common.notify_url.clone();
    payment.scene = Some(wallet.to_owned());
    // (decided) An unpaid order lapses two hours after its creation (the wallets' own QR
    // lifetime); ScanForPay reads it failed from then on.
    payment.expires_at = Timestamp::from_unix(cx.host.now().unix_seconds() + 2 * 3600);
    match cx.host.ledger().add_payment(payment) {
        Ok(payment) => {
            cx.host.count(Counted::PaymentCreated);
            Ok(payment)
        }
        Err(existing)
            if !existing.paid
                && !existing.closed_at(cx.host.now())
                && existing.amount_minor == common.order_amount
                && existing.currency == currency
                && existing.scene.as_deref() == Some(wallet) =>
        {
            Ok(existing)
        }
        Err(_) => Err(31),
    }
}

/// The merchant scanned the customer's code: a code the sandbox never issued (or one used
/// already) fails the transaction; one that needs the customer's password leaves the order
/// waiting (status 0) until they confirm; any other is paid at once.
fn barcode_pay(cx: &Call<'_>, body: &BarcodePayBody) -> Answer {
    cx.host.count(Counted::Charge);
    let order = &body.common.partner_order_no;
    // A resend of a charge already taken is answered with the order as it stands.
    if let Some(existing) = cx
        .host
        .ledger()
        .payment_summary(ProviderId::ScanForPay, order)
        && existing.scene.as_deref() == Some(BARCODE)
        && existing.amount_minor == body.common.order_amount
    {
        return signed(cx, &query_answer(&existing, cx.host.now()));
    }
    let Some(needs_password) = cx
        .host
        .ledger()
        .take_auth_code(ProviderId::ScanForPay, &body.barcode)
    else {
        return fail(cx, 2);
    };
    let payment = match create(cx, &body.common, BARCODE, None) {
        Ok(payment) => payment,
        Err(code) => return fail(cx, code),
    };
    if needs_password {
        return signed(cx, &query_answer(&payment, cx.host.now()));
    }
    match cx.host.ledger().customer(
        ProviderId::ScanForPay,
        order,
        paybridge_emulator::CustomerAction::Pay,
        cx.host.now(),
    ) {
        Ok(paid) => {
            if let Some(delivery) = payment_notification(cx, &paid) {
                cx.host.deliver(delivery);
            }
            signed(cx, &query_answer(&paid, cx.host.now()))
        }
        Err(_) => fail(cx, 32),
    }
}

/// How a barcode payment's wallet is recorded (ScanForPay's barcode call names no wallet: the
/// code tells it).
const BARCODE: &str = "Barcode";

/// ScanForPay's payment notification: a signed response envelope with payment-query fields.
fn payment_notification(cx: &Call<'_>, payment: &Payment) -> Option<OutgoingNotification> {
    let url = payment.notify_url.clone()?;
    let value = ResponseValue {
        header: response_header(cx),
        body: query_answer(payment, cx.host.now()),
    };
    let body = response_envelope(&value, cx.this.sign_key.expose().as_bytes());
    Some(OutgoingNotification {
        headers: Vec::new(),
        url,
        body,
        content_type: "application/json",
        acknowledged,
    })
}

/// ScanForPay documents no refund notification, only payment notifications.
fn refund_notification(_: &Call<'_>, _: &Payment, _: &RefundEntry) -> Option<OutgoingNotification> {
    None
}

// The provider side of the wire format (what ScanForPay itself does).

/// A request whose signature verified.
#[derive(Debug)]
pub struct VerifiedRequest<'a> {
    /// The `request` value's text as received (what was signed).
    pub raw: &'a str,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    request: Option<&'a RawValue>,
    #[serde(default)]
    signature: Option<String>,
}

/// Checks a merchant envelope: JSON with a `request` (else code 6 / 4), signed over exactly the
/// `request` bytes received (else code 8).
///
/// # Errors
/// The code the provider would refuse the request with.
pub fn verify_request<'a>(body: &'a [u8], key: &[u8]) -> Result<VerifiedRequest<'a>, i64> {
    let envelope: Envelope<'a> = serde_json::from_slice(body).map_err(|_| 6)?;
    let raw = envelope.request.ok_or(4)?;
    let signature = envelope.signature.ok_or(8)?;
    if !verify_sha256_keyed_hex(raw.get().as_bytes(), key, &signature) {
        return Err(8);
    }
    Ok(VerifiedRequest { raw: raw.get() })
}

/// A response (or notification) envelope: `value` serialized as the `response`, signed. Should
/// `value` fail to serialize, the signed answer is code 21 "state unknown, query again" — an
/// honest failure, never an empty response.
pub fn response_envelope<T: Serialize>(value: &T, key: &[u8]) -> Vec<u8> {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| {
        br#"{"header":{},"body":{"code":21,"msg":"state unknown, query again"}}"#.to_vec()
    });
    signed_envelope(&bytes, key)
}

/// An envelope around `response` bytes exactly as given (e.g. PHP-escaped), signed over them.
pub fn signed_envelope(response: &[u8], key: &[u8]) -> Vec<u8> {
    let signature = sha256_keyed_hex(response, key);
    let mut out = Vec::with_capacity(response.len() + 100);
    out.extend_from_slice(b"{\"response\":");
    out.extend_from_slice(response);
    out.extend_from_slice(b",\"signature\":\"");
    out.extend_from_slice(signature.as_bytes());
    out.extend_from_slice(b"\"}");
    out
}

/// ScanForPay's side, for one partner and store.
pub struct ScanForPayEmulator {
    partner_no: String,
    store_no: String,
    sign_key: SecretString,
    exhausted_quirk: bool,
}

impl std::fmt::Debug for ScanForPayEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanForPayEmulator")
            .field("partner_no", &self.partner_no)
            .field("store_no", &self.store_no)
            .field("sign_key", &self.sign_key)
            .finish_non_exhaustive()
    }
}

/// One call being answered: the sandbox around it and the emulator's own state.
struct Call<'a> {
    host: &'a dyn Host,
    this: &'a ScanForPayEmulator,
}

impl ScanForPayEmulator {
    /// ScanForPay for partner `partner_no` and its store `store_no`, signing with `sign_key`.
    /// With `exhausted_quirk`, a repeat of a refund that exhausted its payment is answered
    /// with 35 "refund exceeds refundable amount" instead of the refund.
    pub fn new(
        partner_no: impl Into<String>,
        store_no: impl Into<String>,
        sign_key: SecretString,
        exhausted_quirk: bool,
    ) -> ScanForPayEmulator {
        ScanForPayEmulator {
            partner_no: partner_no.into(),
            store_no: store_no.into(),
            sign_key,
            exhausted_quirk,
        }
    }
}

impl Emulator for ScanForPayEmulator {
    fn provider(&self) -> ProviderId {
        ProviderId::ScanForPay
    }

    fn handle(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        path: &str,
        body: &[u8],
    ) -> Answer {
        handle(&Call { host, this: self }, request, path, body)
    }

    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<OutgoingNotification> {
        refund_notification(&Call { host, this: self }, payment, entry)
    }

    fn payment_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
    ) -> Option<OutgoingNotification> {
        payment_notification(&Call { host, this: self }, payment)
    }

    fn auth_code_prefix(&self) -> Option<&'static str> {
        // ScanForPay takes WeChat Pay and Alipay codes alike; the sandbox issues WeChat's.
        Some("13")
    }

    fn acknowledgement(&self) -> Answer {
        bytes(
            200,
            "text/plain",
            crate::NOTIFICATION_ACK.as_bytes().to_vec(),
        )
    }

    fn currencies(&self) -> &'static [paybridge_core::Currency] {
        &[
            paybridge_core::Currency::Hkd,
            paybridge_core::Currency::Cny,
            paybridge_core::Currency::Jpy,
            paybridge_core::Currency::Usd,
        ]
    }

    fn payment_ids(&self, n: u64) -> (String, String) {
        let order = format!("p{n:012}");
        (order.clone(), order)
    }
}

/// Whether a merchant's answer acknowledges a notification, ScanForPay's way.
fn acknowledged(status: http::StatusCode, body: &[u8]) -> bool {
    status.is_success() && body.trim_ascii() == crate::NOTIFICATION_ACK.as_bytes()
}
