//! WeChat Pay API v3's payments and refunds, as its documentation describes them.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it under `/wechatpay`. It checks
//! every request's `Authorization` signature over the method, path, timestamp, nonce and body it
//! received, signs every answer with its own platform key (in public-key or certificate mode:
//! only the serial it names differs), and:
//!
//! - takes JSAPI, APP, H5 and Native prepay requests with WeChat Pay's field rules, recording
//!   each order as a payment waiting for the customer; an `out_trade_no` sent again with the
//!   same content answers the same order, with other content `OUT_TRADE_NO_USED`, once paid
//!   `ORDERPAID`, once closed or expired `ORDER_CLOSED`;
//! - answers the payment query by `out_trade_no` or (once paid) `transaction_id`, and closes
//!   unpaid orders with a signed `204 No Content`;
//! - notifies a payment the customer paid (`TRANSACTION.SUCCESS`) and final refunds, each
//!   AES-256-GCM-encrypted under the merchant's APIv3 key, until acknowledged with 200 or 204;
//! - keeps the 50-refunds and sum rules through the ledger, and answers a repeated
//!   `out_refund_no` with the refund it holds;
//! - serves the daily trade and fund-flow bills of the ledger (today included), their files
//!   in WeChat Pay's format, plain or gzipped, their SHA-1 in the signed answer, and
//!   `NO_STATEMENT_EXIST` for a day without one ([`bills`]); with
//!   [`WechatPayEmulator::with_corrupt_bills`], every download has one byte flipped.

pub mod bills;

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use paybridge_core::{Currency, IdGenerator, ProviderId, RandomIdGenerator, Timestamp};
use paybridge_emulator::{
    Answer, Applied, CloseRefusal, Counted, Emulator, Host, NewRefund, OutgoingNotification,
    Payment, RefundEntry, RefundState, Refusal, bytes,
};
use paybridge_sign::{AeadError, Aes256GcmKey, RsaPrivateKey, RsaPublicKey};
use serde::Serialize;

use crate::codec::{AUTHORIZATION_SCHEME, signing_message, verification_message};
use crate::codes;
use crate::wire::notifications::{
    EncryptedResource, NotificationAmount, NotificationEnvelope, RefundResource,
};
use crate::wire::requests::{CreateRefundRequest, PrepayRequest, TradeType};
use crate::wire::responses::{
    ErrorBody, H5PrepayResponse, NativePrepayResponse, PrepayIdResponse, RefundAmounts,
    RefundResponse, Transaction, TransactionAmount, TransactionPayer,
};

const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";
const PREPAY_PREFIX: &str = "/v3/pay/transactions/";
const BY_OUT_TRADE_NO: &str = "/v3/pay/transactions/out-trade-no/";
const BY_TRANSACTION_ID: &str = "/v3/pay/transactions/id/";
const CLOSE_SUFFIX: &str = "/close";
/// The H5 cashier page `h5_url` points at (a browser page: not signed, not authenticated).
const H5_CASHIER: &str = "/h5pay/checkmweb";

/// The AppID the sandbox's written configuration carries, and the one this emulator takes
/// payments under unless told another ([`WechatPayEmulator::with_appid`]): WeChat Pay's
/// documented sample.
pub const SAMPLE_APPID: &str = "wxd678efh567hg6787";

/// How long an order stays payable when its prepay names no `time_expire`.
const DEFAULT_EXPIRY_SECS: i64 = 7 * 86_400;
/// The earliest `time_expire` WeChat Pay keeps: one minute after the order (earlier is moved
/// to that).
const MIN_EXPIRY_SECS: i64 = 60;
/// The latest: 90 days after the order (later is moved to that).
const MAX_EXPIRY_SECS: i64 = 90 * 86_400;

/// What WeChat Pay keeps of an order besides the ledger's payment: the rest of its content,
/// against which a repeat of its `out_trade_no` is compared, and what the query reports.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Order {
    appid: String,
    description: String,
    attach: Option<String>,
    notify_url: String,
    time_expire: Option<String>,
    goods_tag: Option<String>,
    total: i64,
    trade_type: &'static str,
    openid: Option<String>,
}

impl Order {
    fn of(request: &PrepayRequest, kind: TradeType) -> Order {
        Order {
            appid: request.appid.clone(),
            description: request.description.clone(),
            attach: request.attach.clone(),
            notify_url: request.notify_url.clone(),
            time_expire: request.time_expire.clone(),
            goods_tag: request.goods_tag.clone(),
            total: request.amount.total,
            trade_type: kind.wire_name(),
            openid: request.payer.as_ref().map(|p| p.openid.clone()),
        }
    }
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
    /// The AppID prepay requests must name (bound to the merchant).
    appid: String,
    /// Orders by `out_trade_no`.
    orders: Mutex<HashMap<String, Order>>,
    system_error_quirk: bool,
    nonces: AtomicU64,
    /// Prepared bill downloads by token, oldest first (a bounded few).
    bill_files: Mutex<VecDeque<(String, bills::BillFile)>>,
    /// Flip a byte of every bill download.
    corrupt_bills: bool,
}

impl std::fmt::Debug for WechatPayEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPayEmulator")
            .field("mchid", &self.mchid)
            .field("platform_serial", &self.platform_serial)
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

impl WechatPayEmulator {
    /// WeChat Pay for merchant `mchid`, whose requests `merchant_key` verifies (signed under
    /// the certificate serial `merchant_serial_no`), signing answers and notifications with
    /// `platform_key` under `platform_serial` and encrypting notifications with `apiv3_key`;
    /// payments are taken under [`SAMPLE_APPID`]. With `system_error_quirk`, a new refund is
    /// recorded and then answered with HTTP 500 `SYSTEM_ERROR` — what WeChat Pay does when it
    /// fails after the refund was taken.
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
            appid: SAMPLE_APPID.to_owned(),
            orders: Mutex::default(),
            system_error_quirk,
            nonces: AtomicU64::new(1),
            bill_files: Mutex::default(),
            corrupt_bills: false,
        })
    }

    /// Takes payments under `appid` instead of [`SAMPLE_APPID`]: a prepay naming another is
    /// refused with `APPID_MCHID_NOT_MATCH`.
    #[must_use]
    pub fn with_appid(mut self, appid: impl Into<String>) -> WechatPayEmulator {
        self.appid = appid.into();
        self
    }

    /// With `corrupt`, every bill download has one byte flipped (after gzip, when gzipped),
    /// as a file damaged in transit: the client's SHA-1 check must refuse it.
    #[must_use]
    pub fn with_corrupt_bills(mut self, corrupt: bool) -> WechatPayEmulator {
        self.corrupt_bills = corrupt;
        self
    }

    fn bill_files(&self) -> std::sync::MutexGuard<'_, VecDeque<(String, bills::BillFile)>> {
        self.bill_files
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn orders(&self) -> std::sync::MutexGuard<'_, HashMap<String, Order>> {
        self.orders
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    /// A signed `204 No Content`: the signature covers the empty body.
    fn no_content(&self, host: &dyn Host) -> Answer {
        let mut answer = bytes(204, "application/json", Vec::new());
        answer.headers_mut().remove(http::header::CONTENT_TYPE);
        if let Ok(headers) = self.sign(host.now(), b"") {
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

    /// `POST /v3/pay/transactions/{jsapi|app|h5|native}`: an order waiting for the customer,
    /// and what the payer's side needs to pay it (a `prepay_id`, a `code_url`, an `h5_url`).
    fn prepay(&self, host: &dyn Host, kind: TradeType, body: &[u8]) -> Answer {
        let request = match serde_json::from_slice::<PrepayRequest>(body) {
            Ok(request) => request,
            Err(e) => {
                return self.error(
                    host,
                    400,
                    "PARAM_ERROR",
                    Some(&format!("the body is not a prepay request: {e}")),
                );
            }
        };
        if request.mchid != self.mchid {
            return self.error(host, 400, "MCH_NOT_EXISTS", Some("mchid does not match"));
        }
        if let Err(e) = crate::validate::prepay(&request, kind) {
            return self.error(host, 400, "PARAM_ERROR", Some(&e.to_string()));
        }
        if request.appid != self.appid {
            return self.error(
                host,
                400,
                "APPID_MCHID_NOT_MATCH",
                Some("appid和mch_id不匹配"),
            );
        }
        let order = Order::of(&request, kind);
        let now = host.now();
        let existing = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &request.out_trade_no);
        let payment = match existing {
            Some(existing) => existing,
            None => {
                let n = host.ledger().next_number();
                let (transaction_id, _) = self.payment_ids(n);
                let mut payment = Payment::awaiting_payment(
                    ProviderId::WechatPay,
                    transaction_id,
                    request.out_trade_no.clone(),
                    request.amount.total,
                    Currency::Cny,
                    now,
                );
                payment.notify_url = Some(request.notify_url.clone());
                payment.expires_at = Some(expiry(now, request.time_expire.as_deref()));
                payment.scene = Some(kind.wire_name().to_owned());
                match host.ledger().add_payment(payment) {
                    Ok(payment) => {
                        self.orders().insert(request.out_trade_no.clone(), order);
                        host.count(Counted::PaymentCreated);
                        return self.prepaid(host, kind, &payment);
                    }
                    // Another request made it first: answered as a repeat of it.
                    Err(existing) => existing,
                }
            }
        };
        if payment.order_ref != request.out_trade_no {
            // The number is another order's payment id: not this order.
            return self.error(host, 403, codes::OUT_TRADE_NO_USED, Some("商户订单号重复"));
        }
        if payment.paid {
            return self.error(host, 400, codes::ORDERPAID, Some("该订单已支付"));
        }
        if payment.closed_at(now) {
            return self.error(host, 400, codes::ORDER_CLOSED, Some("订单已关闭"));
        }
        if !self.same_order(&order, &payment) {
            return self.error(host, 403, codes::OUT_TRADE_NO_USED, Some("商户订单号重复"));
        }
        self.prepaid(host, kind, &payment)
    }

    /// Whether a repeated prepay is the order already made: the same amount, trade type and
    /// notification URL (what the ledger keeps), and the same content otherwise.
    fn same_order(&self, order: &Order, payment: &Payment) -> bool {
        let ledger_agrees = payment.amount_minor == order.total
            && payment.currency == Currency::Cny
            && payment.scene.as_deref() == Some(order.trade_type)
            && payment.notify_url.as_deref() == Some(order.notify_url.as_str());
        ledger_agrees
            && self
                .orders()
                .get(&payment.order_ref)
                .is_none_or(|kept| kept == order)
    }

    /// The prepay answer for `payment`: always the same for one order.
    fn prepaid(&self, host: &dyn Host, kind: TradeType, payment: &Payment) -> Answer {
        let prepay_id = prepay_id(payment);
        match kind {
            TradeType::Jsapi | TradeType::App => self.answer(
                host,
                200,
                &PrepayIdResponse {
                    prepay_id: Some(prepay_id),
                },
            ),
            TradeType::Native => self.answer(
                host,
                200,
                &NativePrepayResponse {
                    code_url: Some(format!("weixin://wxpay/bizpayurl?pr={}", payment.payment)),
                },
            ),
            TradeType::H5 => self.answer(
                host,
                200,
                &H5PrepayResponse {
                    h5_url: Some(format!(
                        "{}/wechatpay{H5_CASHIER}?prepay_id={prepay_id}",
                        host.base_url().trim_end_matches('/')
                    )),
                },
            ),
        }
    }

    /// The payment as the query (and the payment notification) reports it, at `now`.
    fn transaction(&self, payment: &Payment, now: Timestamp) -> Transaction {
        let order = self.orders().get(&payment.order_ref).cloned();
        let (trade_state, trade_state_desc) = trade_state(payment, now);
        let paid = payment.paid;
        Transaction {
            appid: Some(
                order
                    .as_ref()
                    .map_or_else(|| self.appid.clone(), |o| o.appid.clone()),
            ),
            mchid: Some(self.mchid.clone()),
            out_trade_no: Some(payment.order_ref.clone()),
            // WeChat Pay names the payment only once it is paid.
            transaction_id: paid.then(|| payment.payment.clone()),
            trade_type: Some(
                payment
                    .scene
                    .clone()
                    .unwrap_or_else(|| TradeType::Native.wire_name().to_owned()),
            ),
            trade_state: Some(trade_state.to_owned()),
            trade_state_desc: Some(trade_state_desc.to_owned()),
            bank_type: paid.then(|| "OTHERS".to_owned()),
            attach: order.as_ref().and_then(|o| o.attach.clone()),
            success_time: paid.then(|| china_time(payment.paid_at)),
            payer: paid.then(|| TransactionPayer {
                openid: Some(
                    order
                        .as_ref()
                        .and_then(|o| o.openid.clone())
                        .unwrap_or_else(|| sandbox_openid(payment)),
                ),
            }),
            amount: Some(TransactionAmount {
                total: Some(payment.amount_minor),
                payer_total: paid.then_some(payment.amount_minor),
                currency: Some("CNY".into()),
                payer_currency: Some("CNY".into()),
            }),
            scene_info: None,
            promotion_detail: None,
        }
    }

    /// `GET /v3/pay/transactions/{out-trade-no|id}/{…}?mchid=…`: the payment's state. An
    /// unpaid order has no `transaction_id` yet, so it is found by its `out_trade_no` only.
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
        let (escaped, by_id) = match path.strip_prefix(BY_OUT_TRADE_NO) {
            Some(rest) => (rest, false),
            None => (
                path.strip_prefix(BY_TRANSACTION_ID).unwrap_or_default(),
                true,
            ),
        };
        let reference = percent_decode(escaped).unwrap_or_default();
        let payment = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &reference)
            .filter(|p| {
                if by_id {
                    p.paid && p.payment == reference
                } else {
                    p.order_ref == reference
                }
            });
        let Some(payment) = payment else {
            return self.error(host, 404, codes::ORDER_NOT_EXIST, Some("订单不存在"));
        };
        self.answer(host, 200, &self.transaction(&payment, host.now()))
    }

    /// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` `{"mchid"}`: an unpaid
    /// order can no longer be paid; a signed 204 answers (again for one closed already).
    fn close(&self, host: &dyn Host, escaped: &str, body: &[u8]) -> Answer {
        #[derive(serde::Deserialize)]
        struct CloseBody {
            mchid: Option<String>,
        }
        let mchid = serde_json::from_slice::<CloseBody>(body)
            .ok()
            .and_then(|b| b.mchid);
        if mchid.as_deref() != Some(self.mchid.as_str()) {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("输入源“/body/mchid”映射到字段“直连商户号”必填性规则校验失败"),
            );
        }
        let Some(out_trade_no) = percent_decode(escaped) else {
            return self.error(host, 400, "PARAM_ERROR", Some("bad out_trade_no"));
        };
        let Some(before) = host
            .ledger()
            .payment_summary(ProviderId::WechatPay, &out_trade_no)
            .filter(|p| p.order_ref == out_trade_no)
        else {
            return self.error(host, 404, codes::ORDER_NOT_EXIST, Some("订单不存在"));
        };
        match host
            .ledger()
            .close_unpaid(ProviderId::WechatPay, &out_trade_no)
        {
            Ok(_) => {
                if !before.closed {
                    host.count(Counted::PaymentClosed);
                }
                self.no_content(host)
            }
            Err(CloseRefusal::Paid) => self.error(host, 400, codes::ORDERPAID, Some("订单已支付")),
            Err(CloseRefusal::NotFound) => {
                self.error(host, 404, codes::ORDER_NOT_EXIST, Some("订单不存在"))
            }
        }
    }

    /// `GET /h5pay/checkmweb?prepay_id=…`: the H5 cashier page an `h5_url` opens. The sandbox
    /// takes no money: the page says how its customer pays (`POST /_sandbox/customer`).
    fn cashier(&self, host: &dyn Host, request: &http::request::Parts) -> Answer {
        let payment = request
            .uri
            .query()
            .unwrap_or_default()
            .split('&')
            .find_map(|pair| pair.strip_prefix("prepay_id="))
            .and_then(|id| id.strip_prefix("wx"))
            .and_then(|id| host.ledger().payment_summary(ProviderId::WechatPay, id));
        let Some(payment) = payment else {
            return bytes(
                404,
                "text/html; charset=utf-8",
                "<!doctype html><title>微信支付</title><p>订单不存在 (no such order)</p>"
                    .as_bytes()
                    .to_vec(),
            );
        };
        let (state, _) = trade_state(&payment, host.now());
        let page = format!(
            "<!doctype html><title>微信支付 sandbox</title><p>Order {} — {} fen (CNY), {}.</p>\
             <p>The sandbox's customer pays it with <code>POST /_sandbox/customer \
             {{\"provider\": \"wechatpay\", \"order_ref\": \"{}\", \"action\": \"pay\"}}</code>.</p>",
            html_escape(&payment.order_ref),
            payment.amount_minor,
            state,
            html_escape(&payment.order_ref),
        );
        bytes(200, "text/html; charset=utf-8", page.into_bytes())
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
        let id = format!("EV-{}", resource.refund_id.as_deref().unwrap_or("unknown"));
        self.seal(at, &id, event_type, "refund", "退款状态变更", resource)
    }

    /// A signed, encrypted payment notification (`TRANSACTION.SUCCESS`) of a paid `payment`,
    /// as WeChat Pay posts it: the plaintext is the query's transaction object.
    ///
    /// # Errors
    /// The resource cannot be encrypted or the platform key cannot sign.
    pub fn payment_notification_at(
        &self,
        at: Timestamp,
        payment: &Payment,
    ) -> Result<(Vec<u8>, SignedHeaders), String> {
        let transaction = self.transaction(payment, at);
        let id = format!("EV-{}", payment.payment);
        self.seal(
            at,
            &id,
            "TRANSACTION.SUCCESS",
            "transaction",
            "支付成功",
            &transaction,
        )
    }

    /// The envelope around `resource`, sealed under the APIv3 key with `original_type` as its
    /// associated data, and its signature headers.
    fn seal<T: Serialize>(
        &self,
        at: Timestamp,
        id: &str,
        event_type: &str,
        original_type: &str,
        summary: &str,
        resource: &T,
    ) -> Result<(Vec<u8>, SignedHeaders), String> {
        let plain = serde_json::to_vec(resource).map_err(|e| e.to_string())?;
        let nonce = format!(
            "{:012}",
            self.nonces.fetch_add(1, Ordering::Relaxed) % 1_000_000_000_000
        );
        let sealed = self
            .apiv3_key
            .seal(nonce.as_bytes(), original_type.as_bytes(), &plain)
            .map_err(|e| e.to_string())?;
        let envelope = NotificationEnvelope {
            id: id.to_owned(),
            create_time: Some(china_time(at)),
            event_type: event_type.to_owned(),
            resource_type: Some("encrypt-resource".into()),
            summary: Some(summary.to_owned()),
            resource: EncryptedResource {
                algorithm: "AEAD_AES_256_GCM".into(),
                ciphertext: paybridge_sign::base64_encode(&sealed),
                nonce,
                associated_data: Some(original_type.to_owned()),
                original_type: Some(original_type.to_owned()),
            },
        };
        let body = serde_json::to_vec(&envelope).map_err(|e| e.to_string())?;
        let headers = self.sign(at, &body).map_err(|e| e.to_string())?;
        Ok((body, headers))
    }
}

/// The prepay session of an order: derived from its payment, so a repeat answers the same.
fn prepay_id(payment: &Payment) -> String {
    format!("wx{}", payment.payment)
}

/// Where an order stands at `now`, in WeChat Pay's words (`trade_state`, `trade_state_desc`).
fn trade_state(payment: &Payment, now: Timestamp) -> (&'static str, &'static str) {
    match (payment.paid, payment.reversed) {
        (true, true) => ("REVOKED", "已撤销"),
        (true, false) if payment.refunded_minor() > 0 => ("REFUND", "转入退款"),
        (true, false) => ("SUCCESS", "支付成功"),
        (false, _) if payment.closed_at(now) => ("CLOSED", "已关闭"),
        (false, _) => ("NOTPAY", "订单未支付"),
    }
}

/// When an order made at `now` stops being payable: its `time_expire`, kept between one
/// minute and 90 days after the order as WeChat Pay keeps it, else seven days.
fn expiry(now: Timestamp, time_expire: Option<&str>) -> Timestamp {
    let now_secs = now.unix_seconds();
    let at = time_expire
        .and_then(|t| Timestamp::parse_rfc3339(t).ok())
        .map_or(now_secs + DEFAULT_EXPIRY_SECS, |t| {
            t.unix_seconds()
                .clamp(now_secs + MIN_EXPIRY_SECS, now_secs + MAX_EXPIRY_SECS)
        });
    Timestamp::from_unix(at).unwrap_or(now)
}

/// A payer's `openid` for a payment that named none (every payment but JSAPI's).
fn sandbox_openid(payment: &Payment) -> String {
    let id = payment.payment.as_str();
    format!(
        "oSandbox{}",
        id.get(id.len().saturating_sub(20)..).unwrap_or(id)
    )
}

fn html_escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
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
        // The H5 cashier is a page the payer's browser opens: not an API call, not signed.
        if request.method == http::Method::GET && path == H5_CASHIER {
            return self.cashier(host, request);
        }
        if let Some(refused) = self.authenticate(host, request, body) {
            return refused;
        }
        let prepay = path
            .strip_prefix(PREPAY_PREFIX)
            .and_then(TradeType::from_path_segment);
        let close = path
            .strip_prefix(BY_OUT_TRADE_NO)
            .and_then(|rest| rest.strip_suffix(CLOSE_SUFFIX))
            .filter(|id| !id.is_empty() && !id.contains('/'));
        let query = (path.starts_with(BY_OUT_TRADE_NO) || path.starts_with(BY_TRANSACTION_ID))
            && path.rsplit('/').next().is_some_and(|id| !id.is_empty())
            && path.matches('/').count() == 5;
        let post = request.method == http::Method::POST;
        let get = request.method == http::Method::GET;
        if post && path == REFUNDS_PATH {
            return self.create_refund(host, body);
        }
        if let (true, Some(kind)) = (post, prepay) {
            return self.prepay(host, kind, body);
        }
        if let (true, Some(id)) = (post, close) {
            return self.close(host, id, body);
        }
        if get && query {
            return self.query_transaction(host, request, path);
        }
        if get && path == bills::TRADE_BILL_PATH {
            return self.bill(host, request, false);
        }
        if get && path == bills::FUND_FLOW_BILL_PATH {
            return self.bill(host, request, true);
        }
        if get && path == bills::DOWNLOAD_PATH {
            return self.bill_download(host, request);
        }
        let refund = path
            .strip_prefix(REFUNDS_PATH)
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|id| !id.is_empty() && !id.contains('/'));
        match (get, refund) {
            (true, Some(id)) => self.query_refund(host, id),
            _ => self.error(host, 404, "NOT_FOUND", Some("no such API")),
        }
    }

    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<OutgoingNotification> {
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
        Some(OutgoingNotification {
            url,
            body,
            content_type: "application/json",
            headers,
            acknowledged,
        })
    }

    /// `TRANSACTION.SUCCESS` to the order's `notify_url`, once the customer paid it.
    fn payment_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
    ) -> Option<OutgoingNotification> {
        if !payment.paid {
            return None;
        }
        let url = payment.notify_url.clone()?;
        let (body, headers) = self.payment_notification_at(host.now(), payment).ok()?;
        Some(OutgoingNotification {
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
