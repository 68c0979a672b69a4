//! The Nomad broker, as its documentation describes it: an API key (header, or query for older
//! clients), JSON bodies, success by HTTP status, WeChat Pay v3 refund semantics.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it under `/nomad`.

use paybridge_core::ProviderId;
use paybridge_emulator::{
    Answer, Applied, CloseRefusal, Counted, Emulator, Host, NewRefund, OutgoingNotification,
    Payment, RefundEntry, RefundState, Refusal, bytes, json,
};
use paybridge_sign::SecretString;

use crate::wire::responses::{
    ClosePaymentResponse, CreatePaymentResponse, QueryPaymentResponse, RefundResponse,
};
use crate::{API_KEY_HEADER, to_fen};
use paybridge_core::{Currency, Timestamp};
use serde_json::{Map, Value};

fn rejected(cx: &Call<'_>, status: u16, body: Value) -> Answer {
    cx.host.count(Counted::Rejected);
    json(status, &body)
}

fn unauthorized(cx: &Call<'_>) -> Answer {
    rejected(
        cx,
        401,
        serde_json::json!({"code": 401, "message": "Not Authenticated"}),
    )
}

fn invalid(cx: &Call<'_>, field: &str, msg: &str) -> Answer {
    rejected(
        cx,
        422,
        serde_json::json!({"code": 422, "message": "Request validation failure", "errors": [{"field": field, "msg": msg}]}),
    )
}

fn not_found(cx: &Call<'_>, what: &str) -> Answer {
    rejected(
        cx,
        404,
        serde_json::json!({"code": 404, "message": format!("{what} not found")}),
    )
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn query(parts: &http::request::Parts) -> Vec<(String, String)> {
    parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn rfc3339(at: Timestamp) -> String {
    at.with_offset(8 * 60).unwrap_or(at).to_rfc3339()
}

/// The broker's refund answer; with the `nomad-null-amounts` quirk, every amount is null.
fn refund_response(cx: &Call<'_>, payment: &Payment, entry: &RefundEntry) -> RefundResponse {
    let answer = refund_answer(payment, entry);
    if cx.this.null_amounts_quirk {
        RefundResponse {
            refund_amount: None,
            total_amount: None,
            payer_refund: None,
            payer_total: None,
            settlement_amount: None,
            settlement_total: None,
            discount_refund_amount: None,
            ..answer
        }
    } else {
        answer
    }
}

fn refund_answer(payment: &Payment, entry: &RefundEntry) -> RefundResponse {
    RefundResponse {
        code: Some(200),
        message: Some("success".into()),
        refund_id: Some(entry.provider_refund_id.clone()),
        order_ref: Some(payment.order_ref.clone()),
        refund_order_ref: Some(entry.refund_id.clone()),
        transaction_id: Some(payment.payment.clone()),
        channel: Some("ORIGINAL".into()),
        user_received_account: Some("支付用户零钱".into()),
        create_time: Some(rfc3339(entry.created_at)),
        success_time: entry
            .completed_at
            .filter(|_| entry.status == RefundState::Succeeded)
            .map(rfc3339),
        status: Some(
            match entry.status {
                RefundState::Pending => "PROCESSING",
                RefundState::Succeeded => "SUCCESS",
                RefundState::Failed => "CLOSED",
            }
            .into(),
        ),
        refund_amount: Some(entry.amount_minor),
        total_amount: Some(payment.amount_minor),
        payer_refund: Some(entry.amount_minor),
        payer_total: Some(payment.amount_minor),
        settlement_amount: Some(entry.amount_minor),
        settlement_total: Some(payment.amount_minor),
        discount_refund_amount: Some(0),
        currency: Some(payment.currency.code().into()),
        refund_account: Some("REFUND_SOURCE_SUB_MERCHANT".into()),
        funds_account: None,
    }
}

fn handle(cx: &Call<'_>, parts: &http::request::Parts, path: &str, body: &[u8]) -> Answer {
    let key = self_key(cx);
    let header_key = parts
        .headers
        .get(API_KEY_HEADER)
        .and_then(|v| v.to_str().ok());
    let params = query(parts);
    let query_key = params
        .iter()
        .find(|(k, _)| k == API_KEY_HEADER)
        .map(|(_, v)| v.as_str());
    let presented = header_key.or(query_key);
    if !presented.is_some_and(|k| paybridge_sign::constant_time_eq(k.as_bytes(), key.as_bytes())) {
        return unauthorized(cx);
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(percent_decode)
        .collect();
    let merchant_ok = |m: &str| m == cx.this.merchant;
    match (
        parts.method.as_str(),
        segments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .as_slice(),
    ) {
        ("POST", ["refund", merchant]) if merchant_ok(merchant) => create_refund(cx, body),
        ("GET", ["refund", merchant]) if merchant_ok(merchant) => match param("refund_order_ref") {
            None => invalid(cx, "refund_order_ref", "field required"),
            Some(id) => match cx.host.ledger().refund(ProviderId::Nomad, &id) {
                Some((payment, entry)) => json(200, &refund_response(cx, &payment, &entry)),
                None => not_found(cx, "refund"),
            },
        },
        ("POST", ["payment", merchant]) if merchant_ok(merchant) => create_payment(cx, body),
        ("GET", ["payment", merchant]) if merchant_ok(merchant) => match param("order_ref") {
            None => invalid(cx, "order_ref", "field required"),
            Some(order) => match cx.host.ledger().payment_summary(ProviderId::Nomad, &order) {
                Some(p) => json(200, &query_payment(&p, cx.host.now())),
                None => not_found(cx, "order"),
            },
        },
        ("POST", ["payment", "close", merchant, order]) if merchant_ok(merchant) => {
            close_payment(cx, order)
        }
        _ => not_found(cx, "merchant or route"),
    }
}

fn text_field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    object
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// An amount: a JSON number that is a whole number of fen (`10` and `10.0` both).
fn fen_field(object: &Map<String, Value>, name: &str) -> Result<Option<i64>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => to_fen(n)
            .map(Some)
            .ok_or_else(|| format!("{n} is not a whole number of fen")),
        Some(_) => Err("must be a number".into()),
    }
}

fn create_refund(cx: &Call<'_>, body: &[u8]) -> Answer {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return invalid(cx, "body", "value is not a valid JSON object");
    };
    let Some(order_ref) = text_field(&object, "orderRef") else {
        return invalid(cx, "orderRef", "field required");
    };
    let Some(refund_ref) = text_field(&object, "refundOrderRef") else {
        return invalid(cx, "refundOrderRef", "field required");
    };
    if refund_ref.chars().count() > 64 {
        return invalid(cx, "refundOrderRef", "at most 64 characters");
    }
    let (refund_amount, total_amount) = match (
        fen_field(&object, "refundAmount"),
        fen_field(&object, "totalAmount"),
    ) {
        (Ok(Some(r)), Ok(Some(t))) => (r, t),
        (Err(e), _) => return invalid(cx, "refundAmount", &e),
        (_, Err(e)) => return invalid(cx, "totalAmount", &e),
        (Ok(None), _) => return invalid(cx, "refundAmount", "field required"),
        (_, Ok(None)) => return invalid(cx, "totalAmount", "field required"),
    };
    if refund_amount <= 0 || total_amount <= 0 {
        return invalid(cx, "refundAmount", "amounts must be greater than zero");
    }
    if refund_amount > total_amount {
        return invalid(
            cx,
            "refundAmount",
            "refundAmount must not exceed totalAmount",
        );
    }
    if let Some(currency) = object.get("currency").and_then(Value::as_str)
        && currency != "CNY"
    {
        return invalid(cx, "currency", "only CNY refunds are supported");
    }
    // The same refund number refunds at most once: a repeat is answered with the original.
    if let Some((payment, entry)) = cx.host.ledger().resend(ProviderId::Nomad, refund_ref) {
        cx.host.count(Counted::Resend);
        return json(200, &refund_response(cx, &payment, &entry));
    }
    let Some(payment) = cx
        .host
        .ledger()
        .payment_summary(ProviderId::Nomad, order_ref)
    else {
        return not_found(cx, "order");
    };
    if payment.amount_minor != total_amount {
        return invalid(cx, "totalAmount", "does not match the order's total");
    }
    let applied = cx.host.ledger().apply(NewRefund {
        provider: ProviderId::Nomad,
        payment: order_ref.to_owned(),
        refund_id: refund_ref.to_owned(),
        amount_minor: refund_amount,
        callback_url: text_field(&object, "notifyUrl").map(str::to_owned),
        reason: text_field(&object, "reason").map(str::to_owned),
        one_pending_at_a_time: false,
        final_at_once: cx.host.settles_at_once(),
        max_refunds: Some(50),
        ids_per_payment: false,
        now: cx.host.now(),
    });
    match applied {
        Ok(Applied::New(payment, entry)) => {
            cx.host.count(Counted::RefundApplied);
            let answer = json(200, &refund_response(cx, &payment, &entry));
            cx.host.settle(ProviderId::Nomad, payment, entry);
            answer
        }
        Ok(Applied::Duplicate(payment, entry)) => {
            cx.host.count(Counted::Resend);
            json(200, &refund_response(cx, &payment, &entry))
        }
        Err(Refusal::Exceeds { .. }) => invalid(
            cx,
            "refundAmount",
            "NOT_ENOUGH: the refund exceeds the refundable amount",
        ),
        Err(Refusal::PaymentClosed | Refusal::NotPaid) => {
            invalid(cx, "orderRef", "the order is closed")
        }
        Err(Refusal::TooManyRefunds) => {
            invalid(cx, "refundOrderRef", "an order takes at most 50 refunds")
        }
        Err(Refusal::PaymentNotFound | Refusal::PendingExists) => not_found(cx, "order"),
    }
}

fn create_payment(cx: &Call<'_>, body: &[u8]) -> Answer {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return invalid(cx, "body", "value is not a valid JSON object");
    };
    for field in ["paymentMethod", "paymentType", "orderRef", "currency"] {
        if text_field(&object, field).is_none() {
            return invalid(cx, field, "field required");
        }
    }
    let amount = match fen_field(&object, "actualAmount") {
        Ok(Some(a)) if a > 0 => a,
        Ok(_) => return invalid(cx, "actualAmount", "must be greater than zero"),
        Err(e) => return invalid(cx, "actualAmount", &e),
    };
    let currency = match text_field(&object, "currency") {
        Some("CNY") => Currency::Cny,
        Some("GBP") => Currency::Gbp,
        _ => return invalid(cx, "currency", "must be CNY or GBP"),
    };
    let method = text_field(&object, "paymentMethod").unwrap_or_default();
    if !["wechatpay", "alipay"].contains(&method) {
        return invalid(cx, "paymentMethod", "must be wechatpay or alipay");
    }
    let payment_type = text_field(&object, "paymentType").unwrap_or_default();
    if !["NATIVE", "H5", "JSAPI", "MINIPRO", "APP"].contains(&payment_type) {
        return invalid(
            cx,
            "paymentType",
            "must be NATIVE, H5, JSAPI, MINIPRO or APP",
        );
    }
    if matches!(payment_type, "JSAPI" | "MINIPRO") && text_field(&object, "payerId").is_none() {
        return invalid(cx, "payerId", "field required for JSAPI and MINIPRO");
    }
    let expires_at = match text_field(&object, "timeExpire") {
        None => None,
        Some(text) => match Timestamp::parse_rfc3339(text) {
            Ok(at) => Some(at),
            Err(_) => return invalid(cx, "timeExpire", "must be RFC 3339"),
        },
    };
    let order_ref = text_field(&object, "orderRef")
        .unwrap_or_default()
        .to_owned();
    let n = cx.host.ledger().next_number();
    let mut payment = Payment::awaiting_payment(
        ProviderId::Nomad,
        format!("4200001148{n:018}"),
        order_ref.clone(),
        amount,
        currency,
        cx.host.now(),
    );
    payment.notify_url = text_field(&object, "notifyUrl").map(str::to_owned);
    payment.expires_at = expires_at;
    payment.scene = Some(payment_type.to_owned());
    // The broker passes WeChat Pay's rule through: the same order number with the same content
    // is the same order (answered again); with other content, or once paid or closed, it is
    // refused.
    if let Err(existing) = cx.host.ledger().add_payment(payment) {
        if existing.paid {
            return invalid(cx, "orderRef", "order already paid");
        }
        if existing.closed_at(cx.host.now()) {
            return invalid(cx, "orderRef", "order closed");
        }
        if existing.amount_minor != amount
            || existing.currency != currency
            || existing.scene.as_deref() != Some(payment_type)
        {
            return invalid(cx, "orderRef", "duplicate order with different content");
        }
    } else {
        cx.host.count(Counted::PaymentCreated);
    }
    let base = cx.host.base_url().trim_end_matches('/');
    let (pay_message, pay_invoke_message) = match payment_type {
        "NATIVE" if method == "alipay" => (Some(format!("https://qr.alipay.com/bax{n:020}")), None),
        "NATIVE" => (Some(format!("weixin://wxpay/bizpayurl?pr={n:010}")), None),
        "H5" => (
            Some(format!("{base}/nomad/cashier/h5?order={order_ref}")),
            None,
        ),
        _ => (
            None,
            Some(serde_json::json!({
                "appId": "wx2421b1c4370ec43b",
                "timeStamp": cx.host.now().unix_seconds().to_string(),
                "nonceStr": format!("{n:032x}"),
                "package": format!("prepay_id=wx{n:030}"),
                "signType": "RSA",
                "paySign": format!("sandbox-signature-{n}"),
            })),
        ),
    };
    json(
        200,
        &CreatePaymentResponse {
            code: Some(200),
            message: Some("success".into()),
            pay_message,
            pay_invoke_message,
            time_stamp: Some(cx.host.now().unix_seconds().to_string()),
            nonce_str: Some(format!("{n:032x}")),
        },
    )
}

fn close_payment(cx: &Call<'_>, order: &str) -> Answer {
    match cx.host.ledger().close_unpaid(ProviderId::Nomad, order) {
        Ok(_) => {
            cx.host.count(Counted::PaymentClosed);
            json(
                200,
                &ClosePaymentResponse {
                    code: Some(200),
                    message: Some("success".into()),
                    payment_message: Some("closed".into()),
                },
            )
        }
        Err(CloseRefusal::Paid) => invalid(cx, "orderRef", "order paid: refund it instead"),
        Err(CloseRefusal::NotFound) => not_found(cx, "order"),
    }
}

fn query_payment(p: &Payment, now: Timestamp) -> QueryPaymentResponse {
    let state = if p.paid && p.refunded_minor() > 0 {
        "REFUND"
    } else if p.paid {
        "SUCCESS"
    } else if p.closed_at(now) {
        "CLOSED"
    } else {
        "NOTPAY"
    };
    QueryPaymentResponse {
        order_ref: Some(p.order_ref.clone()),
        payer_currency: Some(p.currency.code().into()),
        currency: Some(p.currency.code().into()),
        payer_total: p.paid.then_some(p.amount_minor),
        actual_amount: Some(p.amount_minor),
        total: Some(p.amount_minor),
        bank_type: p.paid.then(|| "OTHERS".into()),
        timing: p.paid.then(|| rfc3339(p.paid_at)),
        transaction_id: p.paid.then(|| p.payment.clone()),
        trade_state: Some(state.into()),
        trade_state_desc: None,
        trade_type: Some(p.scene.clone().unwrap_or_else(|| "NATIVE".into())),
        trade_message: None,
    }
}

/// The broker's payment notification: unsigned, like its refund notifications — a hint naming
/// the order, for the merchant to query.
fn payment_notification(payment: &Payment) -> Option<OutgoingNotification> {
    let url = payment.notify_url.clone()?;
    let body = serde_json::to_vec(&serde_json::json!({
        "orderRef": payment.order_ref,
        "transactionId": payment.payment,
        "tradeState": "SUCCESS",
    }))
    .ok()?;
    Some(OutgoingNotification {
        headers: Vec::new(),
        url,
        body,
        content_type: "application/json",
        acknowledged,
    })
}

/// The broker's refund notification: unsigned, as documented — a hint for the merchant to query.
fn refund_notification(
    _: &Call<'_>,
    payment: &Payment,
    entry: &RefundEntry,
) -> Option<OutgoingNotification> {
    let url = entry.callback_url.clone()?;
    let body = serde_json::to_vec(&serde_json::json!({
        "refundOrderRef": entry.refund_id,
        "orderRef": payment.order_ref,
        "status": if entry.status == RefundState::Succeeded { "SUCCESS" } else { "CLOSED" },
    }))
    .ok()?;
    Some(OutgoingNotification {
        headers: Vec::new(),
        url,
        body,
        content_type: "application/json",
        acknowledged,
    })
}

/// The broker's side, for one merchant account.
pub struct NomadEmulator {
    merchant: String,
    api_key: SecretString,
    null_amounts_quirk: bool,
}

impl std::fmt::Debug for NomadEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NomadEmulator")
            .field("merchant", &self.merchant)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

fn self_key<'a>(cx: &Call<'a>) -> &'a str {
    cx.this.api_key.expose()
}

/// One call being answered: the sandbox around it and the emulator's own state.
struct Call<'a> {
    host: &'a dyn Host,
    this: &'a NomadEmulator,
}

impl NomadEmulator {
    /// The broker for `merchant`, taking calls with `api_key`. With `null_amounts_quirk`,
    /// refunds are answered with HTTP 200 and null amounts, as the broker sometimes does.
    pub fn new(
        merchant: impl Into<String>,
        api_key: SecretString,
        null_amounts_quirk: bool,
    ) -> NomadEmulator {
        NomadEmulator {
            merchant: merchant.into(),
            api_key,
            null_amounts_quirk,
        }
    }
}

impl Emulator for NomadEmulator {
    fn provider(&self) -> ProviderId {
        ProviderId::Nomad
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
        _host: &dyn Host,
        payment: &Payment,
    ) -> Option<OutgoingNotification> {
        payment_notification(payment)
    }

    fn acknowledgement(&self) -> Answer {
        bytes(
            200,
            "application/json",
            crate::NOTIFICATION_ACK.as_bytes().to_vec(),
        )
    }

    fn currencies(&self) -> &'static [paybridge_core::Currency] {
        &[paybridge_core::Currency::Cny, paybridge_core::Currency::Gbp]
    }

    fn payment_ids(&self, n: u64) -> (String, String) {
        (format!("4200001148{:018}", n), format!("sbx{n:010}"))
    }
}

/// Whether a merchant's answer acknowledges a notification, Nomad's way.
fn acknowledged(status: http::StatusCode, _body: &[u8]) -> bool {
    // WeChat Pay style: any 2xx.
    status.is_success()
}
