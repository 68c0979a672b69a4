//! WeChat Pay API v3's refunds — and Native (QR) prepay and the payment query, so a merchant's
//! SDK can create and query payments — as its documentation describes them.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it under `/wechatpay`. It checks
//! every request's `Authorization` signature over the method, path, timestamp, nonce and body it
//! received, signs every answer with its own platform key (in public-key or certificate mode:
//! only the serial it names differs), keeps the 50-refunds and sum rules through the ledger,
//! answers a repeated `out_refund_no` with the refund it holds, and notifies final refunds
//! AES-256-GCM-encrypted under the merchant's APIv3 key until acknowledged with 200 or 204.

use std::sync::atomic::{AtomicU64, Ordering};

use paybridge_core::{Currency, IdGenerator, ProviderId, RandomIdGenerator, Timestamp};
use paybridge_emulator::{
    Answer, Applied, Counted, Delivery, Emulator, Host, NewRefund, Payment, RefundEntry,
    RefundState, Refusal, bytes,
};
use paybridge_sign::{AeadError, Aes256GcmKey, RsaPrivateKey, RsaPublicKey};
use serde::Serialize;

use crate::codec::{AUTHORIZATION_SCHEME, signing_message, verification_message};
use crate::codes;
use crate::wire::notifications::{
    EncryptedResource, NotificationAmount, NotificationEnvelope, RefundResource,
};
use crate::wire::requests::CreateRefundRequest;
use crate::wire::responses::{ErrorBody, RefundAmounts, RefundResponse};

const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";
const NATIVE_PATH: &str = "/v3/pay/transactions/native";
const BY_OUT_TRADE_NO: &str = "/v3/pay/transactions/out-trade-no/";
const BY_TRANSACTION_ID: &str = "/v3/pay/transactions/id/";

/// A Native (QR) prepay request, as WeChat Pay reads it.
#[derive(serde::Deserialize)]
struct NativePrepay {
    appid: Option<String>,
    mchid: Option<String>,
    description: Option<String>,
    out_trade_no: Option<String>,
    amount: Option<PrepayAmount>,
}

#[derive(serde::Deserialize)]
struct PrepayAmount {
    total: Option<i64>,
    currency: Option<String>,
}

/// A payment as the query answers it.
#[derive(Serialize)]
struct Transaction<'a> {
    mchid: &'a str,
    out_trade_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    transaction_id: Option<&'a str>,
    trade_type: &'static str,
    trade_state: &'static str,
    trade_state_desc: &'static str,
    amount: TransactionAmount,
}

#[derive(Serialize)]
struct TransactionAmount {
    total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer_total: Option<i64>,
    currency: &'static str,
    payer_currency: &'static str,
}
/// WeChat Pay takes at most this many refunds of one payment.
pub const MAX_REFUNDS_PER_PAYMENT: usize = 50;
/// China Standard Time, which WeChat Pay writes its times in.
const CHINA_OFFSET_MINUTES: i16 = 8 * 60;

/// The `Wechatpay-*` headers of a signed answer or notification, by name.
pub type SignedHeaders = Vec<(&'static str, String)>;

/// WeChat Pay's side, for one merchant.
pub struct WechatPayEmulator {
    mchid: String,
    merchant_serial_no: String,
    /// Verifies the merchant's requests.
    merchant_key: RsaPublicKey,
    /// Signs answers and notifications.
    platform_key: RsaPrivateKey,
    /// What answers name as `Wechatpay-Serial`: a `PUB_KEY_ID_…` or a certificate serial.
    platform_serial: String,
    /// Encrypts notification resources.
    apiv3_key: Aes256GcmKey,
    system_error_quirk: bool,
    nonces: AtomicU64,
}

impl std::fmt::Debug for WechatPayEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPayEmulator")
            .field("mchid", &self.mchid)
            .field("platform_serial", &self.platform_serial)
            .finish_non_exhaustive()
    }
}

impl WechatPayEmulator {
    /// WeChat Pay for merchant `mchid`, whose requests `merchant_key` verifies (signed under
    /// the certificate serial `merchant_serial_no`), signing answers and notifications with
    /// `platform_key` under `platform_serial` and encrypting notifications with `apiv3_key`.
    /// With `system_error_quirk`, a new refund is recorded and then answered with HTTP 500
    /// `SYSTEM_ERROR` — what WeChat Pay does when it fails after the refund was taken.
    ///
    /// # Errors
    /// [`AeadError::KeyLength`] when the APIv3 key is not 32 bytes.
    pub fn new(
        mchid: impl Into<String>,
        merchant_serial_no: impl Into<String>,
        merchant_key: RsaPublicKey,
        platform_key: RsaPrivateKey,
        platform_serial: impl Into<String>,
        apiv3_key: &[u8],
        system_error_quirk: bool,
    ) -> Result<WechatPayEmulator, AeadError> {
        Ok(WechatPayEmulator {
            mchid: mchid.into(),
            merchant_serial_no: merchant_serial_no.into(),
            merchant_key,
            platform_key,
            platform_serial: platform_serial.into(),
            apiv3_key: Aes256GcmKey::new(apiv3_key)?,
            system_error_quirk,
            nonces: AtomicU64::new(1),
        })
    }

    /// The `Wechatpay-*` headers for `body`, signed with the platform key at `at`.
    ///
    /// # Errors
    /// The platform key cannot sign.
    pub fn sign(
        &self,
        at: Timestamp,
        body: &[u8],
    ) -> Result<SignedHeaders, paybridge_sign::SignatureError> {
        let timestamp = at.unix_seconds().to_string();
        let nonce = RandomIdGenerator::new().next_id();
        let signature = self
            .platform_key
            .sign_base64(&verification_message(&timestamp, &nonce, body))?;
        Ok(vec![
            ("Wechatpay-Timestamp", timestamp),
            ("Wechatpay-Nonce", nonce),
            ("Wechatpay-Signature", signature),
            ("Wechatpay-Serial", self.platform_serial.clone()),
            // The official docs show it on every signed answer, and SDKs (Python's wechatpayv3)
            // refuse an answer without it.
            (
                "Wechatpay-Signature-Type",
                crate::codec::AUTHORIZATION_SCHEME.to_owned(),
            ),
        ])
    }

    fn answer<T: Serialize>(&self, host: &dyn Host, status: u16, value: &T) -> Answer {
        let Ok(body) = serde_json::to_vec(value) else {
            return bytes(
                500,
                "application/json",
                br#"{"code":"SYSTEM_ERROR","message":"system error"}"#.to_vec(),
            );
        };
        let headers = self.sign(host.now(), &body);
        let mut answer = bytes(status, "application/json", body);
        if let Ok(headers) = headers {
            for (name, value) in headers {
                if let Ok(value) = http::HeaderValue::from_str(&value) {
                    answer.headers_mut().insert(name, value);
                }
            }
        }
        answer.headers_mut().insert(
            "Request-ID",
            http::HeaderValue::from(self.nonces.fetch_add(1, Ordering::Relaxed)),
        );
        answer
    }

    fn error(&self, host: &dyn Host, status: u16, code: &str, message: Option<&str>) -> Answer {
        if status < 500 {
            host.count(Counted::Rejected);
        }
        let message = message.unwrap_or(codes::classify(code).meaning);
        self.answer(
            host,
            status,
            &ErrorBody {
                code: Some(code.to_owned()),
                message: Some(message.to_owned()),
            },
        )
    }

    /// Checks the `Authorization` header the way WeChat Pay does: `None` when it holds, else
    /// WeChat Pay's refusal.
    fn authenticate(
        &self,
        host: &dyn Host,
        parts: &http::request::Parts,
        body: &[u8],
    ) -> Option<Answer> {
        let sign_error = |why: &str| Some(self.error(host, 401, "SIGN_ERROR", Some(why)));
        let Some(header) = parts
            .headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return sign_error("Authorization header is missing");
        };
        let Some(fields) = header
            .strip_prefix(AUTHORIZATION_SCHEME)
            .and_then(|rest| rest.strip_prefix(' '))
        else {
            return sign_error("Authorization must use WECHATPAY2-SHA256-RSA2048");
        };
        let mut mchid = None;
        let mut nonce = None;
        let mut timestamp = None;
        let mut serial = None;
        let mut signature = None;
        for pair in fields.split(',') {
            let Some((name, value)) = pair.trim().split_once('=') else {
                return sign_error("Authorization is not name=\"value\" pairs");
            };
            let Some(value) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
                return sign_error("Authorization values must be quoted");
            };
            match name {
                "mchid" => mchid = Some(value),
                "nonce_str" => nonce = Some(value),
                "timestamp" => timestamp = Some(value),
                "serial_no" => serial = Some(value),
                "signature" => signature = Some(value),
                _ => {}
            }
        }
        let (Some(mchid), Some(nonce), Some(timestamp), Some(serial), Some(signature)) =
            (mchid, nonce, timestamp, serial, signature)
        else {
            return sign_error(
                "Authorization lacks mchid, nonce_str, timestamp, serial_no or signature",
            );
        };
        if mchid != self.mchid {
            return Some(self.error(host, 400, "MCH_NOT_EXISTS", None));
        }
        if !serial.eq_ignore_ascii_case(&self.merchant_serial_no) {
            return sign_error("serial_no is not the merchant's API certificate");
        }
        let Ok(timestamp) = timestamp.parse::<i64>() else {
            return sign_error("timestamp is not Unix seconds");
        };
        if (host.now().unix_seconds() - timestamp).abs() > host.timestamp_window_secs() {
            return sign_error("timestamp is too far from now");
        }
        let uri = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let message = signing_message(parts.method.as_str(), uri, timestamp, nonce, body);
        if self
            .merchant_key
            .verify_base64(&message, signature)
            .is_err()
        {
            return sign_error("signature does not verify");
        }
        None
    }

    fn refund_body(&self, payment: &Payment, entry: &RefundEntry) -> RefundResponse {
        RefundResponse {
            refund_id: Some(entry.provider_refund_id.clone()),
            out_refund_no: Some(entry.refund_id.clone()),
            transaction_id: Some(payment.payment.clone()),
            out_trade_no: Some(payment.order_ref.clone()),
            channel: Some("ORIGINAL".into()),
            user_received_account: Some("支付用户零钱".into()),
            success_time: (entry.status == RefundState::Succeeded)
                .then(|| entry.completed_at.map(china_time))
                .flatten(),
            create_time: Some(china_time(entry.created_at)),
            status: Some(status_word(entry.status).into()),
            funds_account: Some("AVAILABLE".into()),
            amount: Some(RefundAmounts {
                total: Some(payment.amount_minor),
                refund: Some(entry.amount_minor),
                payer_total: Some(payment.amount_minor),
                payer_refund: Some(entry.amount_minor),
                settlement_refund: Some(entry.amount_minor),
                settlement_total: Some(payment.amount_minor),
                discount_refund: Some(0),
                currency: Some("CNY".into()),
                from: None,
            }),
            promotion_detail: None,
        }
    }

    fn create_refund(&self, host: &dyn Host, body: &[u8]) -> Answer {
        let Ok(request) = serde_json::from_slice::<CreateRefundRequest>(body) else {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("the body is not a refund request"),
            );
        };
        if let Err(e) = crate::validate::refund(&request) {
            return self.error(host, 400, "PARAM_ERROR", Some(&e.to_string()));
        }
        let reference = request
            .transaction_id
            .clone()
            .or_else(|| request.out_trade_no.clone())
            .unwrap_or_default();
        let Some(payment) = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &reference)
        else {
            return self.error(
                host,
                404,
                codes::RESOURCE_NOT_EXISTS,
                Some("order does not exist"),
            );
        };
        if request.amount.total != payment.amount_minor {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("amount.total does not match the order's total"),
            );
        }
        let applied = host.ledger().apply(NewRefund {
            provider: ProviderId::WechatPay,
            payment: reference,
            refund_id: request.out_refund_no.clone(),
            amount_minor: request.amount.refund,
            callback_url: request.notify_url.clone(),
            reason: request.reason.clone(),
            one_pending_at_a_time: false,
            final_at_once: host.settles_at_once(),
            max_refunds: Some(MAX_REFUNDS_PER_PAYMENT),
            ids_per_payment: false,
            now: host.now(),
        });
        match applied {
            Ok(Applied::New(payment, entry)) => {
                host.count(Counted::RefundApplied);
                let answer = self.refund_body(&payment, &entry);
                host.settle(ProviderId::WechatPay, payment, entry);
                if self.system_error_quirk {
                    return self.error(host, 500, codes::SYSTEM_ERROR, Some("system error"));
                }
                self.answer(host, 200, &answer)
            }
            // A repeat of an `out_refund_no` refunds once: the refund it names is answered.
            Ok(Applied::Duplicate(payment, entry)) => {
                host.count(Counted::Resend);
                self.answer(host, 200, &self.refund_body(&payment, &entry))
            }
            Err(Refusal::PaymentNotFound) => self.error(
                host,
                404,
                codes::RESOURCE_NOT_EXISTS,
                Some("order does not exist"),
            ),
            Err(Refusal::PaymentClosed | Refusal::NotPaid) => {
                self.error(host, 400, "INVALID_REQUEST", Some("the order is closed"))
            }
            Err(Refusal::Exceeds { refundable }) => self.error(
                host,
                400,
                "INVALID_REQUEST",
                Some(&format!(
                    "the refund exceeds the refundable amount ({refundable} fen)"
                )),
            ),
            Err(Refusal::TooManyRefunds) => self.error(
                host,
                400,
                "INVALID_REQUEST",
                Some("an order takes at most 50 partial refunds"),
            ),
            Err(Refusal::PendingExists) => {
                self.error(host, 500, codes::SYSTEM_ERROR, Some("system error"))
            }
        }
    }

    /// `POST /v3/pay/transactions/native`: a payment waiting for the customer to scan, and
    /// the `code_url` to show. The same `out_trade_no` and amount again answer the same code;
    /// another amount, or a paid order, is refused.
    fn native_prepay(&self, host: &dyn Host, body: &[u8]) -> Answer {
        let Ok(request) = serde_json::from_slice::<NativePrepay>(body) else {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("the body is not a prepay request"),
            );
        };
        if request.mchid.as_deref() != Some(self.mchid.as_str()) {
            return self.error(host, 400, "MCH_NOT_EXISTS", Some("mchid does not match"));
        }
        let (Some(out_trade_no), Some(_), Some(_), Some(amount)) = (
            request.out_trade_no.filter(|o| (6..=32).contains(&o.len())),
            request.appid.filter(|a| !a.is_empty()),
            request.description.filter(|d| !d.is_empty()),
            request.amount,
        ) else {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("appid, description, out_trade_no (6 to 32) and amount are required"),
            );
        };
        let Some(total) = amount.total.filter(|t| *t > 0) else {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("amount.total must be positive"),
            );
        };
        if amount.currency.as_deref().is_some_and(|c| c != "CNY") {
            return self.error(host, 400, "PARAM_ERROR", Some("currency must be CNY"));
        }
        let code_url = |payment: &Payment| serde_json::json!({ "code_url": format!("weixin://wxpay/bizpayurl?pr={}", payment.payment) });
        if let Some(existing) = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &out_trade_no)
        {
            return if existing.paid {
                self.error(host, 400, "ORDERPAID", Some("该订单已支付"))
            } else if existing.amount_minor != total {
                self.error(host, 400, "OUT_TRADE_NO_USED", Some("商户订单号重复"))
            } else {
                self.answer(host, 200, &code_url(&existing))
            };
        }
        let n = host.ledger().next_number();
        let (transaction_id, _) = self.payment_ids(n);
        let payment = Payment::awaiting_payment(
            ProviderId::WechatPay,
            transaction_id,
            out_trade_no,
            total,
            Currency::Cny,
            host.now(),
        );
        match host.ledger().add_payment(payment) {
            Ok(payment) => self.answer(host, 200, &code_url(&payment)),
            Err(_) => self.error(host, 400, "OUT_TRADE_NO_USED", Some("商户订单号重复")),
        }
    }

    /// `GET /v3/pay/transactions/{out-trade-no|id}/{…}?mchid=…`: the payment's state.
    fn query_transaction(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        path: &str,
    ) -> Answer {
        let mchid = request
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|pair| pair.strip_prefix("mchid="));
        if mchid != Some(self.mchid.as_str()) {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("mchid is required and must match"),
            );
        }
        let reference = path
            .strip_prefix(BY_OUT_TRADE_NO)
            .or_else(|| path.strip_prefix(BY_TRANSACTION_ID))
            .and_then(percent_decode)
            .unwrap_or_default();
        let Some(payment) = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &reference)
        else {
            return self.error(host, 404, "ORDER_NOT_EXIST", Some("订单不存在"));
        };
        let (trade_state, trade_state_desc) = match (payment.paid, payment.closed) {
            (_, true) => ("CLOSED", "已关闭"),
            (false, false) => ("NOTPAY", "未支付"),
            (true, false) if payment.refunded_minor() > 0 => ("REFUND", "转入退款"),
            (true, false) => ("SUCCESS", "支付成功"),
        };
        self.answer(
            host,
            200,
            &Transaction {
                mchid: &self.mchid,
                out_trade_no: &payment.order_ref,
                transaction_id: payment.paid.then_some(payment.payment.as_str()),
                trade_type: "NATIVE",
                trade_state,
                trade_state_desc,
                amount: TransactionAmount {
                    total: payment.amount_minor,
                    payer_total: payment.paid.then_some(payment.amount_minor),
                    currency: "CNY",
                    payer_currency: "CNY",
                },
            },
        )
    }

    fn query_refund(&self, host: &dyn Host, escaped: &str) -> Answer {
        let Some(id) = percent_decode(escaped) else {
            return self.error(host, 400, "PARAM_ERROR", Some("bad out_refund_no"));
        };
        match host.ledger().refund(ProviderId::WechatPay, &id) {
            Some((payment, entry)) => self.answer(host, 200, &self.refund_body(&payment, &entry)),
            None => self.error(
                host,
                404,
                codes::RESOURCE_NOT_EXISTS,
                Some("refund does not exist"),
            ),
        }
    }

    /// A signed, encrypted refund notification body and its headers, as WeChat Pay posts it.
    ///
    /// # Errors
    /// The resource cannot be encrypted or the platform key cannot sign.
    pub fn notification(
        &self,
        at: Timestamp,
        event_type: &str,
        resource: &RefundResource,
    ) -> Result<(Vec<u8>, SignedHeaders), String> {
        let plain = serde_json::to_vec(resource).map_err(|e| e.to_string())?;
        let nonce = format!(
            "{:012}",
            self.nonces.fetch_add(1, Ordering::Relaxed) % 1_000_000_000_000
        );
        let sealed = self
            .apiv3_key
            .seal(nonce.as_bytes(), b"refund", &plain)
            .map_err(|e| e.to_string())?;
        let envelope = NotificationEnvelope {
            id: format!("EV-{}", resource.refund_id.as_deref().unwrap_or("unknown")),
            create_time: Some(china_time(at)),
            event_type: event_type.to_owned(),
            resource_type: Some("encrypt-resource".into()),
            summary: Some("退款状态变更".into()),
            resource: EncryptedResource {
                algorithm: "AEAD_AES_256_GCM".into(),
                ciphertext: paybridge_sign::base64_encode(&sealed),
                nonce,
                associated_data: Some("refund".into()),
                original_type: Some("refund".into()),
            },
        };
        let body = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
        let headers = self.sign(at, &body).map_err(|e| e.to_string())?;
        Ok((body, headers))
    }
}

fn status_word(status: RefundState) -> &'static str {
    match status {
        RefundState::Pending => "PROCESSING",
        RefundState::Succeeded => "SUCCESS",
        RefundState::Failed => "ABNORMAL",
    }
}

fn china_time(at: Timestamp) -> String {
    at.with_offset(CHINA_OFFSET_MINUTES)
        .unwrap_or(at)
        .to_rfc3339()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a merchant's answer acknowledges a notification, WeChat Pay's way: 200 or 204.
fn acknowledged(status: http::StatusCode, _body: &[u8]) -> bool {
    status == http::StatusCode::OK || status == http::StatusCode::NO_CONTENT
}

impl Emulator for WechatPayEmulator {
    fn provider(&self) -> ProviderId {
        ProviderId::WechatPay
    }

    fn handle(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        path: &str,
        body: &[u8],
    ) -> Answer {
        if let Some(refused) = self.authenticate(host, request, body) {
            return refused;
        }
        match (&request.method, path) {
            (&http::Method::POST, REFUNDS_PATH) => self.create_refund(host, body),
            (&http::Method::POST, NATIVE_PATH) => self.native_prepay(host, body),
            (&http::Method::GET, path)
                if path.starts_with(BY_OUT_TRADE_NO) || path.starts_with(BY_TRANSACTION_ID) =>
            {
                self.query_transaction(host, request, path)
            }
            (&http::Method::GET, path) => match path
                .strip_prefix(REFUNDS_PATH)
                .and_then(|rest| rest.strip_prefix('/'))
                .filter(|id| !id.is_empty() && !id.contains('/'))
            {
                Some(id) => self.query_refund(host, id),
                None => self.error(host, 404, "NOT_FOUND", Some("no such API")),
            },
            _ => self.error(host, 404, "NOT_FOUND", Some("no such API")),
        }
    }

    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<Delivery> {
        let url = entry.callback_url.clone()?;
        let event_type = match entry.status {
            RefundState::Succeeded => "REFUND.SUCCESS",
            RefundState::Failed => "REFUND.ABNORMAL",
            RefundState::Pending => return None,
        };
        let resource = RefundResource {
            mchid: Some(self.mchid.clone()),
            out_trade_no: Some(payment.order_ref.clone()),
            transaction_id: Some(payment.payment.clone()),
            out_refund_no: Some(entry.refund_id.clone()),
            refund_id: Some(entry.provider_refund_id.clone()),
            refund_status: Some(status_word(entry.status).into()),
            success_time: entry.completed_at.map(china_time),
            user_received_account: Some("支付用户零钱".into()),
            amount: Some(NotificationAmount {
                total: Some(payment.amount_minor),
                refund: Some(entry.amount_minor),
                payer_total: Some(payment.amount_minor),
                payer_refund: Some(entry.amount_minor),
            }),
        };
        let (body, headers) = self.notification(host.now(), event_type, &resource).ok()?;
        Some(Delivery {
            url,
            body,
            content_type: "application/json",
            headers,
            acknowledged,
        })
    }

    fn acknowledgement(&self) -> Answer {
        bytes(204, "text/plain", Vec::new())
    }

    fn currencies(&self) -> &'static [Currency] {
        &[Currency::Cny]
    }

    fn payment_ids(&self, n: u64) -> (String, String) {
        (
            format!("42000{:023}", 26_120_300_000_000_000_u64 + n),
            format!("wxorder{n:08}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_decode_and_acks_are_200_or_204() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("bad%2"), None);
        assert_eq!(percent_decode("%FF"), None);
        assert!(acknowledged(http::StatusCode::OK, b""));
        assert!(acknowledged(http::StatusCode::NO_CONTENT, b""));
        assert!(!acknowledged(http::StatusCode::INTERNAL_SERVER_ERROR, b""));
        assert_eq!(status_word(RefundState::Pending), "PROCESSING");
    }
}
