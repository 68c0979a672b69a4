//! BluePay's Open API, as its documentation describes it.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it under `/bluepay`.

use paybridge_core::Endpoint;
use paybridge_core::ProviderId;
use paybridge_emulator::{
    Answer, Applied, Counted, Emulator, Host, NewRefund, OutgoingNotification, Payment,
    RefundEntry, RefundState, Refusal, bytes, json,
};

use crate::codes;
use crate::wire::requests::{
    BalanceParam, PayoutCheckParam, PayoutTransferParam, QrCreateParam, QrPaymentListParam,
    RefundParam, RefundPaymentsParam, WebPayCreateParam, WebPayDetailParam,
};
use crate::wire::responses::{
    BalanceData, PayoutCheckData, PayoutTransferData, QrCreateData, QrPayment, RefundData,
    RefundPayment, WebPayCreateData, WebPayDetail,
};

use paybridge_core::{Currency, Timestamp};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A payout BluePay made (payouts are not refunds, so they live beside the ledger).
#[derive(Clone, Debug)]
pub(crate) struct Payout {
    pub(crate) amount_minor: i64,
    pub(crate) idempotency_id: String,
    pub(crate) transaction_id: String,
}

fn refuse(cx: &Call<'_>, code: i64, message: Option<&str>) -> Answer {
    cx.host.count(Counted::Rejected);
    let message = message.unwrap_or(codes::classify(code).meaning);
    bytes(
        200,
        "application/json",
        response_body::<()>(code, message, None),
    )
}

fn ok<T: Serialize>(data: &T) -> Answer {
    bytes(
        200,
        "application/json",
        response_body(codes::SUCCESS, "Success", Some(data)),
    )
}

/// Bangkok local time as BluePay writes it: `yyyy-MM-dd HH:mm:ss`.
fn bangkok(at: Timestamp) -> String {
    let text = at
        .with_offset(crate::BANGKOK_OFFSET_MINUTES)
        .unwrap_or(at)
        .to_rfc3339();
    text.get(..19).unwrap_or_default().replacen('T', " ", 1)
}

fn valid_id(value: &str) -> bool {
    !value.is_empty() && value.chars().count() <= 32 && value.bytes().all(|b| b.is_ascii_graphic())
}

fn valid_url(value: &str) -> bool {
    crate::validate::url("url", value).is_ok()
}

fn param<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

fn handle(cx: &Call<'_>, parts: &http::request::Parts, path: &str, body: &[u8]) -> Answer {
    if parts.method != http::Method::POST {
        return json(
            405,
            &serde_json::json!({"code": 405, "message": "Method Not Allowed"}),
        );
    }

    let verified = match verify_request(body, &cx.this.merchant_key) {
        Ok(verified) => verified,
        Err(refusal) => return refuse(cx, refusal.code, None),
    };
    if verified.app_id != cx.this.app_id {
        return refuse(cx, 21_003, None);
    }
    let Some(object) = param::<serde_json::Map<String, serde_json::Value>>(&verified.param) else {
        return refuse(cx, 21_002, Some("param is not a JSON object"));
    };
    let Some(timestamp) = object.get("timestamp").and_then(serde_json::Value::as_i64) else {
        return refuse(cx, 21_008, None);
    };
    if (cx.host.now().unix_seconds() - timestamp).abs() > cx.host.timestamp_window_secs() {
        return refuse(cx, 21_009, None);
    }
    let text = verified.param.as_str();
    match path {
        RefundParam::PATH => refund(cx, text),
        RefundPaymentsParam::PATH => refund_payments(cx, text),
        QrCreateParam::PATH => qr_create(cx, text),
        QrPaymentListParam::PATH => qr_payment_list(cx, text),
        WebPayCreateParam::PATH => webpay_create(cx, text),
        WebPayDetailParam::PATH => webpay_detail(cx, text),
        PayoutTransferParam::PATH => payout_transfer(cx, text),
        PayoutCheckParam::PATH => payout_check(cx, text),
        BalanceParam::PATH => ok(&BalanceData {
            balance: Some("1000000.00".into()),
        }),
        _ => json(
            404,
            &serde_json::json!({"code": 404, "message": "Not Found"}),
        ),
    }
}

fn refund_status_word(status: RefundState) -> &'static str {
    match status {
        RefundState::Pending => "PENDING",
        RefundState::Succeeded => "COMPLETE",
        RefundState::Failed => "FAILED",
    }
}

fn refund(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<RefundParam>(text) else {
        return refuse(
            cx,
            21_002,
            Some(
                "originalTransactionId, mchRefundOrderId, refundAmount and refundCallbackUrl are required",
            ),
        );
    };
    if !valid_id(&p.mch_refund_order_id) || !valid_id(&p.original_transaction_id) {
        return refuse(cx, 21_002, Some("mchRefundOrderId must be 1-32 characters"));
    }
    if !valid_url(&p.refund_callback_url) {
        return refuse(
            cx,
            21_002,
            Some("refundCallbackUrl must be an absolute URL"),
        );
    }
    if p.refund_amount <= 0 {
        return refuse(cx, 21_406, None);
    }
    let at = cx.host.now();
    let applied = cx.host.ledger().apply(NewRefund {
        provider: ProviderId::BluePay,
        payment: p.original_transaction_id.clone(),
        refund_id: p.mch_refund_order_id.clone(),
        amount_minor: p.refund_amount,
        callback_url: Some(p.refund_callback_url.clone()),
        reason: p.refund_reason.clone(),
        one_pending_at_a_time: true,
        final_at_once: cx.host.settles_at_once(),
        max_refunds: None,
        ids_per_payment: false,
        now: at,
    });
    match applied {
        Ok(Applied::New(payment, entry)) => {
            cx.host.count(Counted::RefundApplied);
            let data = RefundData {
                mch_refund_order_id: Some(entry.refund_id.clone()),
                refund_transaction_id: Some(entry.provider_refund_id.clone()),
                refund_create_time: Some(bangkok(entry.created_at)),
                refund_amount: Some(entry.amount_minor),
                refund_status: Some(refund_status_word(entry.status).into()),
            };
            cx.host.settle(ProviderId::BluePay, payment, entry);
            ok(&data)
        }
        Ok(Applied::Duplicate(_, entry)) => {
            cx.host.count(Counted::Resend);
            if cx.this.processing_quirk && entry.status == RefundState::Pending {
                return refuse(cx, codes::REFUND_PROCESSING, None);
            }
            bytes(
                200,
                "application/json",
                response_body::<()>(
                    codes::DUPLICATE_REFUND_ID,
                    "duplicate mchRefundOrderId",
                    None,
                ),
            )
        }
        Err(Refusal::PaymentNotFound) => refuse(cx, 21_006, None),
        Err(Refusal::PaymentClosed | Refusal::NotPaid) => refuse(cx, 21_408, None),
        Err(Refusal::PendingExists) => refuse(cx, 21_409, None),
        Err(Refusal::TooManyRefunds) => refuse(cx, 21_402, None),
        Err(Refusal::Exceeds { refundable }) => refuse(
            cx,
            21_406,
            Some(&format!(
                "refund amount exceeds the refundable {refundable} satang"
            )),
        ),
    }
}

fn payment_record(payment: &Payment, entry: &RefundEntry) -> RefundPayment {
    RefundPayment {
        mch_refund_order_id: Some(entry.refund_id.clone()),
        original_transaction_id: Some(payment.payment.clone()),
        refund_transaction_id: Some(entry.provider_refund_id.clone()),
        refund_amount: Some(entry.amount_minor),
        fee_refunded: Some(0),
        refund_status: Some(refund_status_word(entry.status).into()),
        refund_create_time: Some(bangkok(entry.created_at)),
        refund_return_time: entry.completed_at.map(bangkok),
        failed_code: None,
        failed_message: None,
    }
}

fn refund_payments(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<RefundPaymentsParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    if let Some(original) = p.original_transaction_id {
        let Some(payment) = cx.host.ledger().payment(ProviderId::BluePay, &original) else {
            return refuse(cx, 21_006, None);
        };
        let records: Vec<RefundPayment> = payment
            .refunds
            .iter()
            .map(|r| payment_record(&payment, r))
            .collect();
        return ok(&records);
    }
    if let Some(refund) = p.refund_transaction_id {
        let found = cx
            .host
            .ledger()
            .payments()
            .into_iter()
            .filter(|p| p.provider == ProviderId::BluePay)
            .find_map(|payment| {
                payment
                    .refunds
                    .iter()
                    .find(|r| r.provider_refund_id == refund)
                    .map(|r| payment_record(&payment, r))
            });
        return match found {
            Some(record) => ok(&vec![record]),
            None => refuse(cx, 21_006, None),
        };
    }
    refuse(
        cx,
        21_002,
        Some("originalTransactionId or refundTransactionId is required"),
    )
}

/// How a payment was created, kept in the ledger's `scene`: `qr:CHANNEL` or `webpay:CHANNEL`.
fn scene(kind: &str, channel: &str) -> String {
    format!("{kind}:{channel}")
}

fn is_qr(payment: &Payment) -> bool {
    payment
        .scene
        .as_deref()
        .is_some_and(|s| s.starts_with("qr:"))
}

/// Records a payment created through QR or WebPay, waiting for the customer until its expiry.
/// BluePay refuses a merchant order id it has seen (21007), whatever became of it.
fn pending(
    cx: &Call<'_>,
    order: &str,
    amount: i64,
    notify_url: &str,
    scene: String,
    expire_seconds: Option<u32>,
) -> Result<Payment, i64> {
    let n = cx.host.ledger().next_number();
    let now = cx.host.now();
    let mut payment = Payment::awaiting_payment(
        ProviderId::BluePay,
        format!("CU{:018}", 700_000_000_000_000_000 + n),
        order.to_owned(),
        amount,
        Currency::Thb,
        now,
    );
    payment.notify_url = Some(notify_url.to_owned());
    payment.scene = Some(scene);
    payment.expires_at =
        Timestamp::from_unix(now.unix_seconds() + i64::from(expire_seconds.unwrap_or(3600)));
    let payment = cx.host.ledger().add_payment(payment).map_err(|_| 21_007)?;
    cx.host.count(Counted::PaymentCreated);
    Ok(payment)
}

/// The transaction status BluePay reports for a payment: it never says "refunded".
fn transaction_status(payment: &Payment, now: Timestamp) -> &'static str {
    if payment.paid {
        "COMPLETED"
    } else if payment.closed_at(now) {
        "FAILED"
    } else {
        "PENDING"
    }
}

/// BluePay's payment notification: `qrcode.payment.success` or `order.payment.success`, signed
/// with the platform key.
fn payment_notification(cx: &Call<'_>, payment: &Payment) -> Option<OutgoingNotification> {
    let url = payment.notify_url.clone()?;
    let (kind, channel) = payment.scene.as_deref()?.split_once(':')?;
    let event = if kind == "qr" {
        "qrcode.payment.success"
    } else {
        "order.payment.success"
    };
    let event = serde_json::json!({
        "eventName": event,
        "mchOrderId": payment.order_ref,
        "transactionId": payment.payment,
        "amount": payment.amount_minor,
        "transactionStatus": "COMPLETED",
        "createTime": bangkok(payment.paid_at),
        "returnTime": bangkok(payment.paid_at),
        "channelCode": channel,
    });
    let body = notification_body(&event.to_string(), &cx.this.platform_key).ok()?;
    Some(OutgoingNotification {
        headers: Vec::new(),
        url,
        body,
        content_type: "application/json",
        acknowledged,
    })
}

fn qr_create(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<QrCreateParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || !valid_url(&p.notify_url)
        || p.expire_seconds.is_some_and(|s| !(30..=3600).contains(&s))
    {
        return refuse(cx, 21_002, None);
    }
    let Some(amount) = p.amount.filter(|a| *a > 0) else {
        return refuse(cx, 21_002, Some("amount is required"));
    };
    let payment = match pending(
        cx,
        &p.mch_order_id,
        amount,
        &p.notify_url,
        scene("qr", &p.channel_code),
        p.expire_seconds,
    ) {
        Ok(payment) => payment,
        Err(code) => return refuse(cx, code, None),
    };
    let created = bangkok(payment.paid_at);
    let expires = payment.expires_at.map_or_else(|| created.clone(), bangkok);
    ok(&QrCreateData {
        mch_order_id: Some(payment.order_ref.clone()),
        transaction_id: Some(payment.payment.clone()),
        qr_code_content: Some(format!("00020101021230{}", payment.payment)),
        channel_code: Some(p.channel_code),
        notify_url: Some(p.notify_url),
        remark: p.remark,
        qr_status: Some("ACTIVE".into()),
        transaction_status: Some("PENDING".into()),
        qr_link: Some(format!(
            "{}/bluepay/qr/{}",
            cx.host.base_url(),
            payment.payment
        )),
        create_time: Some(created.clone()),
        update_time: Some(created),
        expires_time: Some(expires),
    })
}

fn qr_payment_list(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<QrPaymentListParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    let list: Vec<QrPayment> = cx
        .host
        .ledger()
        .payment_summary(ProviderId::BluePay, &p.mch_order_id)
        // The list holds the payments made against a QR code: none until the customer pays.
        .filter(|payment| payment.paid && is_qr(payment))
        .map(|payment| QrPayment {
            transaction_id: Some(payment.payment.clone()),
            channel_code: payment
                .scene
                .as_deref()
                .and_then(|s| s.split_once(':'))
                .map(|(_, channel)| channel.to_owned()),
            transaction_create_time: Some(bangkok(payment.paid_at)),
            transaction_return_time: Some(bangkok(payment.paid_at)),
            transaction_amount: Some(payment.amount_minor),
            transaction_status: Some("COMPLETED".into()),
            remark: None,
        })
        .into_iter()
        .collect();
    ok(&list)
}

fn webpay_create(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<WebPayCreateParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || p.amount <= 0
        || !valid_url(&p.notify_url)
        || !valid_url(&p.redirect_url)
    {
        return refuse(cx, 21_002, None);
    }
    if crate::validate::thai_mobile("mobile", &p.mobile).is_err() {
        return refuse(cx, 21_002, Some("mobile must be a Thai mobile number"));
    }
    let payment = match pending(
        cx,
        &p.mch_order_id,
        p.amount,
        &p.notify_url,
        scene("webpay", &p.channel_code),
        p.expire_seconds,
    ) {
        Ok(payment) => payment,
        Err(code) => return refuse(cx, code, None),
    };
    let pay_url = format!("{}/bluepay/pay/{}", cx.host.base_url(), payment.payment);
    ok(&WebPayCreateData {
        mch_order_id: Some(payment.order_ref.clone()),
        pay_url: Some(pay_url.clone()),
        transaction_id: Some(payment.payment.clone()),
        expires_time: payment.expires_at.map(bangkok),
        short_url: Some(pay_url),
    })
}

fn webpay_detail(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<WebPayDetailParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    let Some(payment) = cx
        .host
        .ledger()
        .payment_summary(ProviderId::BluePay, &p.mch_order_id)
        .filter(|payment| !is_qr(payment))
    else {
        return refuse(cx, 21_006, None);
    };
    ok(&WebPayDetail {
        mch_order_id: Some(payment.order_ref.clone()),
        transaction_id: Some(payment.payment.clone()),
        amount: Some(payment.amount_minor),
        transaction_status: Some(transaction_status(&payment, cx.host.now()).into()),
        create_time: Some(bangkok(payment.paid_at)),
        return_time: payment.paid.then(|| bangkok(payment.paid_at)),
        ..WebPayDetail::default()
    })
}

fn payout_transfer(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<PayoutTransferParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || !valid_id(&p.idempotency_id)
        || p.amount <= 0
        || p.account_no.is_empty()
    {
        return refuse(cx, 21_002, None);
    }
    if !["BANK", "PROMPTPAY", "EWALLET"].contains(&p.pay_method_code.as_str()) {
        return refuse(
            cx,
            21_002,
            Some("payMethodCode must be BANK, PROMPTPAY or EWALLET"),
        );
    }
    let mut payouts = cx
        .this
        .payouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if payouts
        .values()
        .any(|payout| payout.idempotency_id == p.idempotency_id)
    {
        return refuse(cx, 21_015, None);
    }
    if payouts.contains_key(&p.mch_order_id) {
        return refuse(cx, 21_007, None);
    }
    let transaction = format!("PO{:016}", cx.host.ledger().next_number());
    payouts.insert(
        p.mch_order_id.clone(),
        Payout {
            amount_minor: p.amount,
            idempotency_id: p.idempotency_id,
            transaction_id: transaction.clone(),
        },
    );
    ok(&PayoutTransferData {
        mch_order_id: Some(p.mch_order_id),
        transaction_id: Some(transaction),
        transaction_status: Some("COMPLETED".into()),
        transaction_time: Some(bangkok(cx.host.now())),
    })
}

fn payout_check(cx: &Call<'_>, text: &str) -> Answer {
    let Some(p) = param::<PayoutCheckParam>(text) else {
        return refuse(cx, 21_002, None);
    };
    let payouts = cx
        .this
        .payouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(payout) = payouts.get(&p.mch_order_id).cloned() else {
        return refuse(cx, 21_006, None);
    };
    drop(payouts);
    ok(&PayoutCheckData {
        mch_order_id: Some(p.mch_order_id),
        transaction_id: Some(payout.transaction_id),
        amount: Some(payout.amount_minor),
        transaction_status: Some("COMPLETED".into()),
        ..PayoutCheckData::default()
    })
}

/// The signed refund notification for a final refund.
fn refund_notification(
    cx: &Call<'_>,
    payment: &Payment,
    entry: &RefundEntry,
) -> Option<OutgoingNotification> {
    let url = entry.callback_url.clone()?;
    let event_name = match entry.status {
        RefundState::Succeeded => "payment.refund.success",
        RefundState::Failed => "payment.refund.failed",
        RefundState::Pending => return None,
    };
    let param = serde_json::json!({
        "eventName": event_name,
        "mchRefundOrderId": entry.refund_id,
        "refundTransactionId": entry.provider_refund_id,
        "originalTransactionId": payment.payment,
        "refundAmount": entry.amount_minor,
        "feeRefunded": 0,
        "refundStatus": refund_status_word(entry.status),
        "refundCreateTime": bangkok(entry.created_at),
        "refundReturnTime": entry.completed_at.map(bangkok),
        "refundReason": entry.reason,
    });
    let body = notification_body(&param.to_string(), &cx.this.platform_key).ok()?;
    Some(OutgoingNotification {
        headers: Vec::new(),
        url,
        body,
        content_type: "application/json",
        acknowledged,
    })
}

// The provider side of the wire format (what BluePay itself does).

/// A request whose signature verified: the app id and the `param` string exactly as signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The merchant's app id.
    pub app_id: String,
    /// The `param` JSON text, as received.
    pub param: String,
}

/// A request BluePay would refuse, with the code it would answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// BluePay's code (21001 sign error, 21002 param error…).
    pub code: i64,
    /// The message to send.
    pub message: String,
}

impl Refused {
    /// A refusal with `code` and its published meaning.
    pub fn new(code: i64) -> Refused {
        Refused {
            code,
            message: codes::classify(code).meaning.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "appId")]
    app_id: Option<String>,
    sign: Option<String>,
    param: Option<String>,
}

/// Checks a merchant request envelope: well-formed (else 21002), signed over `param` with the
/// merchant's key (else 21001). The app id is returned for the caller to check (21003).
///
/// # Errors
/// The code the provider would refuse the request with.
pub fn verify_request(
    body: &[u8],
    merchant_key: &RsaPublicKey,
) -> Result<VerifiedRequest, Refused> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|_| Refused::new(21_002))?;
    let (Some(app_id), Some(sign), Some(param)) = (envelope.app_id, envelope.sign, envelope.param)
    else {
        return Err(Refused::new(21_002));
    };
    merchant_key
        .verify_base64(param.as_bytes(), &sign)
        .map_err(|_| Refused::new(21_001))?;
    Ok(VerifiedRequest { app_id, param })
}

#[derive(Serialize)]
struct ResponseBody<'a, T: Serialize> {
    code: i64,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a T>,
}

/// A response body: `{"code", "message", "data"}`. Should `data` fail to serialize, the answer
/// is BluePay's 21000 "server error" — an honest failure, never an empty body.
pub fn response_body<T: Serialize>(code: i64, message: &str, data: Option<&T>) -> Vec<u8> {
    serde_json::to_vec(&ResponseBody {
        code,
        message,
        data,
    })
    .unwrap_or_else(|_| br#"{"code":21000,"message":"server error"}"#.to_vec())
}

#[derive(Serialize)]
struct NotificationBody<'a> {
    param: &'a str,
    sign: &'a str,
}

/// A notification body: `param` (the event as JSON text) signed with the platform key.
///
/// # Errors
/// The platform key cannot sign.
pub fn notification_body(
    param: &str,
    platform_key: &RsaPrivateKey,
) -> Result<Vec<u8>, paybridge_sign::SignatureError> {
    let sign = platform_key.sign_base64(param.as_bytes())?;
    serde_json::to_vec(&NotificationBody { param, sign: &sign })
        .map_err(|_| paybridge_sign::SignatureError::BadEncoding)
}

/// BluePay's side, for one merchant app.
pub struct BluePayEmulator {
    app_id: String,
    /// Verifies the merchant's requests.
    merchant_key: RsaPublicKey,
    /// Signs BluePay's notifications.
    platform_key: RsaPrivateKey,
    processing_quirk: bool,
    /// Payouts by `mchOrderId` (payouts are not refunds, so they live beside the ledger).
    payouts: std::sync::Mutex<std::collections::HashMap<String, Payout>>,
}

impl std::fmt::Debug for BluePayEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BluePayEmulator")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// One call being answered: the sandbox around it and the emulator's own state.
struct Call<'a> {
    host: &'a dyn Host,
    this: &'a BluePayEmulator,
}

impl BluePayEmulator {
    /// BluePay for the merchant app `app_id`, whose requests `merchant_key` verifies, signing
    /// its notifications with `platform_key`. With `processing_quirk`, a repeated refund id of
    /// a refund still pending is answered with 21401 "refund processing" instead of 21407.
    pub fn new(
        app_id: impl Into<String>,
        merchant_key: RsaPublicKey,
        platform_key: RsaPrivateKey,
        processing_quirk: bool,
    ) -> BluePayEmulator {
        BluePayEmulator {
            app_id: app_id.into(),
            merchant_key,
            platform_key,
            processing_quirk,
            payouts: std::sync::Mutex::default(),
        }
    }
}

impl Emulator for BluePayEmulator {
    fn provider(&self) -> ProviderId {
        ProviderId::BluePay
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

    fn acknowledgement(&self) -> Answer {
        bytes(
            200,
            "application/json",
            crate::NOTIFICATION_ACK.as_bytes().to_vec(),
        )
    }

    fn currencies(&self) -> &'static [paybridge_core::Currency] {
        &[paybridge_core::Currency::Thb]
    }

    fn payment_ids(&self, n: u64) -> (String, String) {
        (
            format!("CU{:018}", 518_563_189_000_000_000 + n),
            format!("order{n:08}"),
        )
    }
}

/// Whether a merchant's answer acknowledges a notification, BluePay's way.
fn acknowledged(status: http::StatusCode, body: &[u8]) -> bool {
    status.is_success()
        && serde_json::from_slice::<serde_json::Value>(body)
            .is_ok_and(|v| v.get("code").and_then(serde_json::Value::as_i64) == Some(10_000))
}
