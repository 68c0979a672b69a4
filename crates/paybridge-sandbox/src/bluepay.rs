//! BluePay's Open API, as its documentation describes it.

use std::sync::Arc;

use paybridge_bluepay::codes;
use paybridge_bluepay::requests::{
    BalanceParam, Endpoint, PayoutCheckParam, PayoutTransferParam, QrCreateParam,
    QrPaymentListParam, RefundParam, RefundPaymentsParam, WebPayCreateParam, WebPayDetailParam,
};
use paybridge_bluepay::responses::{
    BalanceData, PayoutCheckData, PayoutTransferData, QrCreateData, QrPayment, RefundData,
    RefundPayment, WebPayCreateData, WebPayDetail,
};
use paybridge_bluepay::server::{notification_body, response_body, verify_request};
use paybridge_core::{Currency, Timestamp};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::ledger::{Applied, NewRefund, Payment, RefundEntry, RefundState, Refusal};
use crate::notify::{Ack, Delivery};
use crate::reply::{Answer, bytes, json};
use crate::settle::settle;
use crate::stats::Stats;
use crate::{Shared, now};
use paybridge_core::ProviderId;

/// A payout BluePay made (payouts are not refunds, so they live beside the ledger).
#[derive(Clone, Debug)]
pub(crate) struct Payout {
    pub(crate) amount_minor: i64,
    pub(crate) idempotency_id: String,
    pub(crate) transaction_id: String,
}

fn refuse(shared: &Shared, code: i64, message: Option<&str>) -> Answer {
    Stats::bump(&shared.stats.rejected);
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
        .with_offset(paybridge_bluepay::BANGKOK_OFFSET_MINUTES)
        .unwrap_or(at)
        .to_rfc3339();
    text.get(..19).unwrap_or_default().replacen('T', " ", 1)
}

fn valid_id(value: &str) -> bool {
    !value.is_empty() && value.chars().count() <= 32 && value.bytes().all(|b| b.is_ascii_graphic())
}

fn valid_url(value: &str) -> bool {
    paybridge_bluepay::validate::url("url", value).is_ok()
}

fn param<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

pub(crate) async fn handle(
    shared: &Arc<Shared>,
    parts: &http::request::Parts,
    path: &str,
    body: &[u8],
) -> Answer {
    if parts.method != http::Method::POST {
        return json(
            405,
            &serde_json::json!({"code": 405, "message": "Method Not Allowed"}),
        );
    }
    let creds = &shared.credentials;
    let verified = match verify_request(body, &creds.bluepay_merchant.public) {
        Ok(verified) => verified,
        Err(refusal) => return refuse(shared, refusal.code, None),
    };
    if verified.app_id != creds.bluepay_app_id {
        return refuse(shared, 21_003, None);
    }
    let Some(object) = param::<serde_json::Map<String, serde_json::Value>>(&verified.param) else {
        return refuse(shared, 21_002, Some("param is not a JSON object"));
    };
    let Some(timestamp) = object.get("timestamp").and_then(serde_json::Value::as_i64) else {
        return refuse(shared, 21_008, None);
    };
    if (now(shared).unix_seconds() - timestamp).abs() > shared.config.timestamp_window_secs {
        return refuse(shared, 21_009, None);
    }
    let text = verified.param.as_str();
    match path {
        RefundParam::PATH => refund(shared, text),
        RefundPaymentsParam::PATH => refund_payments(shared, text),
        QrCreateParam::PATH => qr_create(shared, text),
        QrPaymentListParam::PATH => qr_payment_list(shared, text),
        WebPayCreateParam::PATH => webpay_create(shared, text),
        WebPayDetailParam::PATH => webpay_detail(shared, text),
        PayoutTransferParam::PATH => payout_transfer(shared, text),
        PayoutCheckParam::PATH => payout_check(shared, text),
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

fn refund(shared: &Arc<Shared>, text: &str) -> Answer {
    let Some(p) = param::<RefundParam>(text) else {
        return refuse(
            shared,
            21_002,
            Some(
                "originalTransactionId, mchRefundOrderId, refundAmount and refundCallbackUrl are required",
            ),
        );
    };
    if !valid_id(&p.mch_refund_order_id) || !valid_id(&p.original_transaction_id) {
        return refuse(
            shared,
            21_002,
            Some("mchRefundOrderId must be 1-32 characters"),
        );
    }
    if !valid_url(&p.refund_callback_url) {
        return refuse(
            shared,
            21_002,
            Some("refundCallbackUrl must be an absolute URL"),
        );
    }
    if p.refund_amount <= 0 {
        return refuse(shared, 21_406, None);
    }
    let at = now(shared);
    let applied = shared.ledger.apply(NewRefund {
        provider: ProviderId::BluePay,
        payment: p.original_transaction_id.clone(),
        refund_id: p.mch_refund_order_id.clone(),
        amount_minor: p.refund_amount,
        callback_url: Some(p.refund_callback_url.clone()),
        reason: p.refund_reason.clone(),
        one_pending_at_a_time: true,
        final_at_once: shared.config.refund_delay.is_zero(),
        max_refunds: None,
        now: at,
    });
    match applied {
        Ok(Applied::New(payment, entry)) => {
            Stats::bump(&shared.stats.refunds_applied);
            let data = RefundData {
                mch_refund_order_id: Some(entry.refund_id.clone()),
                refund_transaction_id: Some(entry.provider_refund_id.clone()),
                refund_create_time: Some(bangkok(entry.created_at)),
                refund_amount: Some(entry.amount_minor),
                refund_status: Some(refund_status_word(entry.status).into()),
            };
            settle(
                shared,
                ProviderId::BluePay,
                payment,
                entry,
                refund_notification,
            );
            ok(&data)
        }
        Ok(Applied::Duplicate(_, entry)) => {
            shared.stats.resend();
            if shared.config.quirks.bluepay_processing && entry.status == RefundState::Pending {
                return refuse(shared, codes::REFUND_PROCESSING, None);
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
        Err(Refusal::PaymentNotFound) => refuse(shared, 21_006, None),
        Err(Refusal::PaymentClosed) => refuse(shared, 21_408, None),
        Err(Refusal::PendingExists) => refuse(shared, 21_409, None),
        Err(Refusal::TooManyRefunds) => refuse(shared, 21_402, None),
        Err(Refusal::Exceeds { refundable }) => refuse(
            shared,
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

fn refund_payments(shared: &Shared, text: &str) -> Answer {
    let Some(p) = param::<RefundPaymentsParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    if let Some(original) = p.original_transaction_id {
        let Some(payment) = shared.ledger.payment(ProviderId::BluePay, &original) else {
            return refuse(shared, 21_006, None);
        };
        let records: Vec<RefundPayment> = payment
            .refunds
            .iter()
            .map(|r| payment_record(&payment, r))
            .collect();
        return ok(&records);
    }
    if let Some(refund) = p.refund_transaction_id {
        let found = shared
            .ledger
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
            None => refuse(shared, 21_006, None),
        };
    }
    refuse(
        shared,
        21_002,
        Some("originalTransactionId or refundTransactionId is required"),
    )
}

/// Records a payment made through QR or WebPay as paid at once, and tells the merchant.
fn paid(
    shared: &Arc<Shared>,
    order: &str,
    amount: i64,
    notify_url: &str,
    event: &str,
    channel: &str,
) -> Result<Payment, i64> {
    let n = shared.ledger.next_number();
    let payment = Payment::new(
        ProviderId::BluePay,
        format!("CU{:018}", 700_000_000_000_000_000 + n),
        order.to_owned(),
        amount,
        Currency::Thb,
        now(shared),
    );
    let payment = shared.ledger.add_payment(payment).map_err(|_| 21_007)?;
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
    if let Ok(body) = notification_body(
        &event.to_string(),
        &shared.credentials.bluepay_platform.private,
    ) {
        crate::notify::deliver(
            shared,
            Delivery {
                url: notify_url.to_owned(),
                body,
                content_type: "application/json",
                ack: Ack::BluePay,
            },
        );
    }
    Ok(payment)
}

fn qr_create(shared: &Arc<Shared>, text: &str) -> Answer {
    let Some(p) = param::<QrCreateParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || !valid_url(&p.notify_url)
        || p.expire_seconds.is_some_and(|s| !(30..=3600).contains(&s))
    {
        return refuse(shared, 21_002, None);
    }
    let Some(amount) = p.amount.filter(|a| *a > 0) else {
        return refuse(shared, 21_002, Some("amount is required"));
    };
    let payment = match paid(
        shared,
        &p.mch_order_id,
        amount,
        &p.notify_url,
        "qrcode.payment.success",
        &p.channel_code,
    ) {
        Ok(payment) => payment,
        Err(code) => return refuse(shared, code, None),
    };
    let created = bangkok(payment.paid_at);
    ok(&QrCreateData {
        mch_order_id: Some(payment.order_ref.clone()),
        transaction_id: Some(payment.payment.clone()),
        qr_code_content: Some(format!("00020101021230{}", payment.payment)),
        channel_code: Some(p.channel_code),
        notify_url: Some(p.notify_url),
        remark: p.remark,
        qr_status: Some("ACTIVE".into()),
        transaction_status: Some("COMPLETED".into()),
        qr_link: Some(format!(
            "{}/bluepay/qr/{}",
            shared.base_url, payment.payment
        )),
        create_time: Some(created.clone()),
        update_time: Some(created.clone()),
        expires_time: Some(created),
    })
}

fn qr_payment_list(shared: &Shared, text: &str) -> Answer {
    let Some(p) = param::<QrPaymentListParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    let list: Vec<QrPayment> = shared
        .ledger
        .payment_summary(ProviderId::BluePay, &p.mch_order_id)
        .map(|payment| QrPayment {
            transaction_id: Some(payment.payment.clone()),
            channel_code: None,
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

fn webpay_create(shared: &Arc<Shared>, text: &str) -> Answer {
    let Some(p) = param::<WebPayCreateParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || p.amount <= 0
        || !valid_url(&p.notify_url)
        || !valid_url(&p.redirect_url)
    {
        return refuse(shared, 21_002, None);
    }
    if paybridge_bluepay::validate::thai_mobile("mobile", &p.mobile).is_err() {
        return refuse(shared, 21_002, Some("mobile must be a Thai mobile number"));
    }
    let payment = match paid(
        shared,
        &p.mch_order_id,
        p.amount,
        &p.notify_url,
        "order.payment.success",
        &p.channel_code,
    ) {
        Ok(payment) => payment,
        Err(code) => return refuse(shared, code, None),
    };
    let pay_url = format!("{}/bluepay/pay/{}", shared.base_url, payment.payment);
    ok(&WebPayCreateData {
        mch_order_id: Some(payment.order_ref.clone()),
        pay_url: Some(pay_url.clone()),
        transaction_id: Some(payment.payment.clone()),
        expires_time: Some(bangkok(payment.paid_at)),
        short_url: Some(pay_url),
    })
}

fn webpay_detail(shared: &Shared, text: &str) -> Answer {
    let Some(p) = param::<WebPayDetailParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    let Some(payment) = shared
        .ledger
        .payment_summary(ProviderId::BluePay, &p.mch_order_id)
    else {
        return refuse(shared, 21_006, None);
    };
    ok(&WebPayDetail {
        mch_order_id: Some(payment.order_ref.clone()),
        transaction_id: Some(payment.payment.clone()),
        amount: Some(payment.amount_minor),
        transaction_status: Some("COMPLETED".into()),
        create_time: Some(bangkok(payment.paid_at)),
        return_time: Some(bangkok(payment.paid_at)),
        ..WebPayDetail::default()
    })
}

fn payout_transfer(shared: &Shared, text: &str) -> Answer {
    let Some(p) = param::<PayoutTransferParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    if !valid_id(&p.mch_order_id)
        || !valid_id(&p.idempotency_id)
        || p.amount <= 0
        || p.account_no.is_empty()
    {
        return refuse(shared, 21_002, None);
    }
    if !["BANK", "PROMPTPAY", "EWALLET"].contains(&p.pay_method_code.as_str()) {
        return refuse(
            shared,
            21_002,
            Some("payMethodCode must be BANK, PROMPTPAY or EWALLET"),
        );
    }
    let mut payouts = shared
        .payouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if payouts
        .values()
        .any(|payout| payout.idempotency_id == p.idempotency_id)
    {
        return refuse(shared, 21_015, None);
    }
    if payouts.contains_key(&p.mch_order_id) {
        return refuse(shared, 21_007, None);
    }
    let transaction = format!("PO{:016}", shared.ledger.next_number());
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
        transaction_time: Some(bangkok(now(shared))),
    })
}

fn payout_check(shared: &Shared, text: &str) -> Answer {
    let Some(p) = param::<PayoutCheckParam>(text) else {
        return refuse(shared, 21_002, None);
    };
    let payouts = shared
        .payouts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(payout) = payouts.get(&p.mch_order_id).cloned() else {
        return refuse(shared, 21_006, None);
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
pub(crate) fn refund_notification(
    shared: &Shared,
    payment: &Payment,
    entry: &RefundEntry,
) -> Option<Delivery> {
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
    let body = notification_body(
        &param.to_string(),
        &shared.credentials.bluepay_platform.private,
    )
    .ok()?;
    Some(Delivery {
        url,
        body,
        content_type: "application/json",
        ack: Ack::BluePay,
    })
}
