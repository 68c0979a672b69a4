//! ScanForPay, as its documentation describes it: signed envelopes verified over the raw
//! `request` bytes, codes in the body, answers signed with the partner's key.

use std::sync::Arc;

use paybridge_core::{Currency, Timestamp};
use paybridge_scanforpay::requests::{
    BarcodePayBody, DynamicQrBody, Endpoint, HostedQrBody, JsapiBody, PayQueryBody, PaymentCommon,
    RefundBody, WebsiteRedirectBody,
};
use paybridge_scanforpay::responses::{
    PayQueryResponse, PayUrlResponse, QrResponse, RefundResponse, ResponseHeader, ResponseValue,
};
use paybridge_scanforpay::{codes, server};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ledger::{Applied, NewRefund, Payment, RefundState, Refusal};
use crate::notify::{Ack, Delivery};
use crate::reply::{Answer, bytes};
use crate::settle::settle;
use crate::stats::Stats;
use crate::{Shared, now};
use paybridge_core::ProviderId;

#[derive(Deserialize)]
struct Incoming {
    header: Option<Value>,
    body: Option<Value>,
}

/// The header of every answer and notification: this partner, a fresh message id, Hong Kong time.
fn response_header(shared: &Shared) -> ResponseHeader {
    let at = now(shared);
    ResponseHeader {
        version: Some("1.0".into()),
        partner_no: Some(shared.credentials.scanforpay_partner_no.clone()),
        resp_msg_id: Some(format!("{:032x}", shared.ledger.next_number())),
        resp_time: Some(at.with_offset(8 * 60).unwrap_or(at).to_rfc3339()),
        sign_type: Some("SHA256".into()),
    }
}

fn signed<B: Serialize>(shared: &Shared, body: &B) -> Answer {
    let creds = &shared.credentials;
    let value = ResponseValue {
        header: response_header(shared),
        body,
    };
    bytes(
        200,
        "application/json",
        server::response_envelope(&value, creds.scanforpay_sign_key.expose().as_bytes()),
    )
}

fn fail(shared: &Shared, code: i64) -> Answer {
    Stats::bump(&shared.stats.rejected);
    signed(
        shared,
        &serde_json::json!({ "code": code, "msg": codes::classify(code).meaning }),
    )
}

fn text_ok(value: &str, max: usize) -> bool {
    !value.is_empty() && value.chars().count() <= max && !value.chars().any(char::is_control)
}

pub(crate) async fn handle(
    shared: &Arc<Shared>,
    parts: &http::request::Parts,
    path: &str,
    raw: &[u8],
) -> Answer {
    if parts.method != http::Method::POST {
        return fail(shared, 3);
    }
    let creds = &shared.credentials;
    let verified = match server::verify_request(raw, creds.scanforpay_sign_key.expose().as_bytes())
    {
        Ok(verified) => verified,
        Err(code) => return fail(shared, code),
    };
    let Ok(incoming) = serde_json::from_str::<Incoming>(verified.raw) else {
        return fail(shared, 6);
    };
    let (Some(Value::Object(header)), Some(body)) = (incoming.header, incoming.body) else {
        return fail(shared, 4);
    };
    let field = |name: &str| header.get(name).and_then(Value::as_str).unwrap_or("");
    if field("partnerNo") != creds.scanforpay_partner_no {
        return fail(shared, 3);
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
        return fail(shared, 4);
    }
    if field("version") != "1.0"
        || field("signType") != "SHA256"
        || !text_ok(field("reqMsgId"), 32)
        || Timestamp::parse_rfc3339(req_time).is_err()
    {
        return fail(shared, 5);
    }
    match path {
        RefundBody::PATH => refund(shared, body),
        PayQueryBody::PATH => pay_query(shared, body),
        BarcodePayBody::PATH => match serde_json::from_value::<BarcodePayBody>(body) {
            Ok(b) if text_ok(&b.barcode, 20) => create(shared, &b.common, "Wechat", None)
                .map_or_else(
                    |code| fail(shared, code),
                    |p| signed(shared, &query_answer(&p, "Wechat")),
                ),
            _ => fail(shared, 4),
        },
        DynamicQrBody::PATH => match serde_json::from_value::<DynamicQrBody>(body) {
            Ok(b) => create(shared, &b.common, &b.wallet, None).map_or_else(
                |code| fail(shared, code),
                |p| {
                    signed(
                        shared,
                        &QrResponse {
                            code: Some(1),
                            msg: Some("success".into()),
                            qr_code: Some(format!("https://qr.scanforpay.test/{}", p.payment)),
                        },
                    )
                },
            ),
            Err(_) => fail(shared, 4),
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
                    create(shared, &common, &wallet, currency.as_deref()).map_or_else(
                        |code| fail(shared, code),
                        |p| {
                            signed(
                                shared,
                                &PayUrlResponse {
                                    code: Some(1),
                                    msg: Some("success".into()),
                                    pay_url: Some(format!(
                                        "{}/scanforpay/pay/{}",
                                        shared.base_url, p.payment
                                    )),
                                },
                            )
                        },
                    )
                }
                _ => fail(shared, 4),
            }
        }
        _ => fail(shared, 3),
    }
}

fn refund(shared: &Arc<Shared>, body: Value) -> Answer {
    let Ok(b) = serde_json::from_value::<RefundBody>(body) else {
        return fail(shared, 4);
    };
    if !text_ok(&b.partner_order_no, 32) || !text_ok(&b.refund_no, 32) || b.order_amount <= 0 {
        return fail(shared, 5);
    }
    if b.operator_id.as_deref().is_some_and(|v| !text_ok(v, 20))
        || b.terminal_no.as_deref().is_some_and(|v| !text_ok(v, 20))
    {
        return fail(shared, 5);
    }
    let applied = shared.ledger.apply(NewRefund {
        provider: ProviderId::ScanForPay,
        payment: b.partner_order_no.clone(),
        refund_id: b.refund_no.clone(),
        amount_minor: b.order_amount,
        callback_url: None,
        reason: None,
        one_pending_at_a_time: false,
        final_at_once: shared.config.refund_delay.is_zero(),
        max_refunds: None,
        now: now(shared),
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
            Stats::bump(&shared.stats.refunds_applied);
            let reply = signed(shared, &answer(&payment, entry.status, entry.amount_minor));
            // ScanForPay documents no refund notification, only payment notifications.
            settle(shared, ProviderId::ScanForPay, payment, entry, |_, _, _| {
                None
            });
            reply
        }
        // The same refund number and amount: the original refund. Another amount: duplicate.
        Ok(Applied::Duplicate(payment, entry)) => {
            shared.stats.resend();
            if shared.config.quirks.scanforpay_exhausted
                && payment.refunded_minor() >= payment.amount_minor
            {
                return fail(shared, codes::EXCEEDS_REFUNDABLE);
            }
            if entry.amount_minor == b.order_amount && payment.order_ref == b.partner_order_no {
                signed(shared, &answer(&payment, entry.status, entry.amount_minor))
            } else {
                fail(shared, codes::DUPLICATE_ORDER)
            }
        }
        Err(Refusal::PaymentNotFound) => fail(shared, 30),
        Err(Refusal::PaymentClosed) => fail(shared, 33),
        Err(Refusal::PendingExists | Refusal::TooManyRefunds) => fail(shared, 32),
        Err(Refusal::Exceeds { .. }) => fail(shared, 35),
    }
}

fn query_answer(p: &Payment, wallet: &str) -> PayQueryResponse {
    let status = if p.closed {
        2
    } else if p.settled_refunds_minor() > 0 {
        3
    } else {
        1
    };
    PayQueryResponse {
        code: Some(1),
        msg: Some("success".into()),
        order_no: Some(format!("SFP{}", p.payment)),
        partner_order_no: Some(p.order_ref.clone()),
        order_amount: Some(p.amount_minor),
        wallet: Some(wallet.into()),
        status: Some(status),
        pay_time: Some(
            p.paid_at
                .with_offset(8 * 60)
                .unwrap_or(p.paid_at)
                .to_rfc3339(),
        ),
        currency: Some(p.currency.code().into()),
        buyer: None,
        buyer_id: None,
    }
}

fn pay_query(shared: &Shared, body: Value) -> Answer {
    let Ok(b) = serde_json::from_value::<PayQueryBody>(body) else {
        return fail(shared, 4);
    };
    if b.store_no != shared.credentials.scanforpay_store_no {
        return fail(shared, 5);
    }
    let reference = match (&b.order_no, &b.partner_order_no) {
        (Some(order_no), _) => order_no.trim_start_matches("SFP").to_owned(),
        (None, Some(partner)) => partner.clone(),
        (None, None) => return fail(shared, 7),
    };
    match shared
        .ledger
        .payment_summary(ProviderId::ScanForPay, &reference)
    {
        Some(p) => signed(shared, &query_answer(&p, "Wechat")),
        None => fail(shared, 30),
    }
}

/// Records a payment made through one of the creation calls as paid, and notifies the merchant.
fn create(
    shared: &Arc<Shared>,
    common: &PaymentCommon,
    wallet: &str,
    currency: Option<&str>,
) -> Result<Payment, i64> {
    if common.store_no != shared.credentials.scanforpay_store_no {
        return Err(5);
    }
    if !text_ok(&common.partner_order_no, 32) || common.order_amount <= 0 {
        return Err(5);
    }
    let currency = Currency::from_code(currency.unwrap_or("HKD")).map_err(|_| 5)?;
    let payment = Payment::new(
        ProviderId::ScanForPay,
        common.partner_order_no.clone(),
        common.partner_order_no.clone(),
        common.order_amount,
        currency,
        now(shared),
    );
    let payment = shared.ledger.add_payment(payment).map_err(|_| 31)?;
    if let Some(url) = &common.notify_url {
        notify_payment(shared, &payment, wallet, url);
    }
    Ok(payment)
}

/// ScanForPay's payment notification: a signed response envelope with payment-query fields.
pub(crate) fn notify_payment(shared: &Arc<Shared>, payment: &Payment, wallet: &str, url: &str) {
    let creds = &shared.credentials;
    let value = ResponseValue {
        header: response_header(shared),
        body: query_answer(payment, wallet),
    };
    let body = server::response_envelope(&value, creds.scanforpay_sign_key.expose().as_bytes());
    crate::notify::deliver(
        shared,
        Delivery {
            url: url.to_owned(),
            body,
            content_type: "application/json",
            ack: Ack::ScanForPay,
        },
    );
}
