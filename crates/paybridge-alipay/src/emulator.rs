//! Alipay's gateway, as its documentation describes it: refunds and their query, and the
//! payment calls — `alipay.trade.precreate` (QR), `pay` (barcode), `create` (JSAPI), `query`,
//! `close` and `cancel` — plus the cashier the customer's browser or app reaches with a signed
//! `alipay.trade.page.pay`, `wap.pay` or `app.pay` order.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it at `/alipay/gateway.do`. It
//! reads the form (and the query string, where the SDK puts the `method` — or, for a browser's
//! `GET`, every parameter), refuses a parameter named twice, checks the app, the RSA2 signature
//! over the sorted parameters it received, the certificate SNs in certificate mode and the
//! timestamp; dispatches on `method`; keeps the refund rules through the ledger; answers a
//! repeated `out_request_no` with `fund_change: "N"` (or `ACQ.DISCORDANT_REPEAT_REQUEST` for
//! another amount); shows a refund in the query only once it settled (the pending window);
//! writes its replies the way Alipay does — the value as text with slashes escaped `\/`,
//! signed over exactly that text — and posts signed async notifications until answered
//! `success`.
//!
//! Payments keep Alipay's rules: `out_trade_no` is the trade's key — a resend under it is the
//! same trade, a paid one answers `ACQ.TRADE_HAS_SUCCESS`, a closed one `ACQ.TRADE_HAS_CLOSE`,
//! another amount or product `ACQ.CONTEXT_INCONSISTENT`. A payment code is single-use; a
//! charge pays at once, or answers `10003` and waits for the customer (`POST
//! /_sandbox/customer`). A trade exists at Alipay — so a query or a close finds it — once it
//! was paid or closed, once the customer reached the cashier and walked away, or from its
//! creation for a barcode or JSAPI trade; a QR code nobody scanned and a cashier order nobody
//! paid are `ACQ.TRADE_NOT_EXIST` until then, as at Alipay (a cashier order's trade is created
//! when the buyer pays).

use paybridge_core::{Currency, Money, ProviderId, Timestamp};
use paybridge_emulator::{
    Answer, Applied, Counted, CustomerAction, Emulator, Host, NewRefund, OutgoingNotification,
    Payment, RefundEntry, RefundState, Refusal, bytes,
};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;

use crate::cashier::html_escape;
use crate::codec::{SHANGHAI_OFFSET_MINUTES, alipay_time, form_decode, form_encode, sign_content};
use crate::codes;
use crate::wire::requests::{Cashier, TradeRefund, TradeRefundQuery};
use crate::wire::responses::{
    PrecreateResponse, RefundQueryResponse, Status, TradeCancelResponse, TradeCloseResponse,
    TradeCreateResponse, TradePayResponse, TradeQueryResponse, TradeRefundResponse,
};

const REFUND: &str = "alipay.trade.refund";
const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
const PRECREATE: &str = "alipay.trade.precreate";
const TRADE_QUERY: &str = "alipay.trade.query";
const PAY: &str = "alipay.trade.pay";
const CREATE: &str = "alipay.trade.create";
const CLOSE: &str = "alipay.trade.close";
const CANCEL: &str = "alipay.trade.cancel";
const BILL_QUERY: &str = "alipay.data.dataservice.bill.downloadurl.query";
/// Every method answered with a JSON reply (the cashier methods answer with a page).
const API_METHODS: [&str; 9] = [
    REFUND,
    REFUND_QUERY,
    PRECREATE,
    TRADE_QUERY,
    PAY,
    CREATE,
    CLOSE,
    CANCEL,
    BILL_QUERY,
];

/// The scene a barcode trade is recorded under (its `scene`).
const BAR_CODE: &str = "bar_code";
/// The product code of a JSAPI trade.
const JSAPI_PAY: &str = "JSAPI_PAY";
/// The product code of a QR (face to face) trade.
const FACE_TO_FACE_PAYMENT: &str = "FACE_TO_FACE_PAYMENT";

/// A payment call's `biz_content` as Alipay reads it: every field optional, so one missing is
/// answered the way Alipay answers it.
#[derive(serde::Deserialize, Default)]
struct TradeBiz {
    out_trade_no: Option<String>,
    trade_no: Option<String>,
    total_amount: Option<String>,
    subject: Option<String>,
    product_code: Option<String>,
    scene: Option<String>,
    auth_code: Option<String>,
    buyer_open_id: Option<String>,
    buyer_id: Option<String>,
    time_expire: Option<String>,
}

/// A refusal in Alipay's words: `code`, `sub_code`, `sub_msg`.
type Refused = (&'static str, &'static str, String);

/// A new order's checked fields.
struct NewOrder {
    out_trade_no: String,
    amount_minor: i64,
    expires_at: Option<Timestamp>,
}

/// What Alipay holds under an order's `out_trade_no`.
enum Existing {
    /// Nothing: the order is new.
    Fresh,
    /// The same trade, still waiting for the buyer: a resend.
    Same(Payment),
    /// A trade the order cannot be: paid, closed, or for another amount or product.
    Refused(Refused),
}

/// Whether Alipay holds `payment` as a trade (so a query or a close finds it): paid, closed,
/// abandoned at the cashier, or a barcode or JSAPI trade, which exist from their creation.
fn exists_at_alipay(payment: &Payment, now: Timestamp) -> bool {
    payment.paid
        || payment.closed_at(now)
        || payment.abandoned
        || matches!(payment.scene.as_deref(), Some(BAR_CODE | JSAPI_PAY))
}

/// A trade's `trade_status` as `alipay.trade.query` words it.
fn trade_status(payment: &Payment, now: Timestamp) -> &'static str {
    if payment.paid {
        if payment.closed || payment.refunded_minor() >= payment.amount_minor {
            "TRADE_CLOSED"
        } else {
            "TRADE_SUCCESS"
        }
    } else if payment.closed_at(now) {
        "TRADE_CLOSED"
    } else {
        "WAIT_BUYER_PAY"
    }
}

/// The SNs of certificate mode: what requests must name, and what replies name.
#[derive(Clone, Debug)]
pub struct CertificateSns {
    /// The app certificate's SN.
    pub app_cert_sn: String,
    /// The root bundle's SN.
    pub alipay_root_cert_sn: String,
    /// Alipay's own certificate's SN, named in every reply.
    pub alipay_cert_sn: String,
}

/// Alipay's side, for one app.
pub struct AlipayEmulator {
    app_id: String,
    /// Verifies the app's requests.
    app_key: RsaPublicKey,
    /// Signs replies and notifications.
    alipay_key: RsaPrivateKey,
    certificates: Option<CertificateSns>,
    system_error_quirk: bool,
    /// Every bill download has a byte of its detail entry's compressed data flipped.
    corrupt_bills: bool,
}

impl std::fmt::Debug for AlipayEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlipayEmulator")
            .field("app_id", &self.app_id)
            .field("certificates", &self.certificates)
            .finish_non_exhaustive()
    }
}

/// Java's `String.replace("/", "\\/")` over serialized JSON: every `/` is inside a string, so
/// the text stays the same JSON, written the way Alipay (and PHP) write it.
fn escape_slashes(json: &str) -> String {
    json.replace('/', "\\/")
}

fn yuan(minor: i64) -> String {
    Money::new(minor, Currency::Cny).to_decimal_string()
}

impl AlipayEmulator {
    /// Alipay for the app `app_id`, whose requests `app_key` verifies, signing with
    /// `alipay_key`; in certificate mode (`certificates`), requests must name the SNs and
    /// replies name Alipay's. With `system_error_quirk`, a new refund is recorded and then
    /// answered `40004 ACQ.SYSTEM_ERROR` — a failure after the money moved.
    pub fn new(
        app_id: impl Into<String>,
        app_key: RsaPublicKey,
        alipay_key: RsaPrivateKey,
        certificates: Option<CertificateSns>,
        system_error_quirk: bool,
    ) -> AlipayEmulator {
        AlipayEmulator {
            app_id: app_id.into(),
            app_key,
            alipay_key,
            certificates,
            system_error_quirk,
            corrupt_bills: false,
        }
    }

    /// With `corrupt`, every bill download has one byte inside its detail entry's compressed
    /// data flipped, so the zip's CRC (or its inflation) fails: what a client must refuse.
    pub fn with_corrupt_bills(mut self, corrupt: bool) -> AlipayEmulator {
        self.corrupt_bills = corrupt;
        self
    }

    /// A reply to `method` whose value is `value`, written and signed the way Alipay does.
    ///
    /// # Errors
    /// The value cannot be written or the key cannot sign.
    pub fn reply<T: Serialize>(&self, method: &str, value: &T) -> Result<Vec<u8>, String> {
        let key = if method.is_empty() {
            "error_response".to_owned()
        } else {
            format!("{}_response", method.replace('.', "_"))
        };
        let raw = escape_slashes(&serde_json::to_string(value).map_err(|e| e.to_string())?);
        let sign = self
            .alipay_key
            .sign_base64(raw.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut out = format!("{{\"{key}\":{raw},");
        if let Some(sns) = &self.certificates {
            out.push_str(&format!("\"alipay_cert_sn\":\"{}\",", sns.alipay_cert_sn));
        }
        out.push_str(&format!("\"sign\":\"{}\"}}", escape_slashes(&sign)));
        Ok(out.into_bytes())
    }

    fn answer<T: Serialize>(&self, method: &str, value: &T) -> Answer {
        match self.reply(method, value) {
            Ok(body) => bytes(200, "application/json;charset=utf-8", body),
            Err(_) => bytes(500, "text/plain", b"system error".to_vec()),
        }
    }

    fn refuse(
        &self,
        host: &dyn Host,
        method: &str,
        code: &str,
        sub_code: &str,
        sub_msg: &str,
    ) -> Answer {
        host.count(Counted::Rejected);
        let msg = match code {
            "40002" => "Invalid Arguments",
            "40004" => "Business Failed",
            "20000" => "Service Currently Unavailable",
            _ => "Error",
        };
        let status = Status {
            code: Some(code.into()),
            msg: Some(msg.into()),
            sub_code: Some(sub_code.into()),
            sub_msg: Some(sub_msg.into()),
        };
        self.answer(method, &status)
    }

    fn refund(&self, host: &dyn Host, biz: &str, notify_url: Option<&str>) -> Answer {
        let Ok(mut request) = serde_json::from_str::<TradeRefund>(biz) else {
            return self.refuse(
                host,
                REFUND,
                "40002",
                "isv.invalid-parameter",
                "biz_content is not a refund",
            );
        };
        if let Err(e) = crate::validate::refund(&request) {
            return self.refuse(
                host,
                REFUND,
                "40002",
                "isv.invalid-parameter",
                &e.to_string(),
            );
        }
        request.notify_url = notify_url.filter(|u| !u.is_empty()).map(str::to_owned);
        let Ok(amount) = Money::parse(&request.refund_amount, Currency::Cny) else {
            return self.refuse(
                host,
                REFUND,
                "40002",
                "isv.invalid-parameter",
                "refund_amount",
            );
        };
        let trade = request
            .trade_no
            .clone()
            .or_else(|| request.out_trade_no.clone())
            .unwrap_or_default();
        let applied = host.ledger().apply(NewRefund {
            provider: ProviderId::Alipay,
            payment: trade,
            refund_id: request.out_request_no.clone(),
            amount_minor: amount.minor,
            callback_url: request.notify_url.clone(),
            reason: request.refund_reason.clone(),
            one_pending_at_a_time: false,
            final_at_once: host.settles_at_once(),
            max_refunds: None,
            ids_per_payment: self.refund_ids_per_payment(),
            now: host.now(),
        });
        let reply =
            |payment: &Payment, entry: &RefundEntry, fund_change: &str| TradeRefundResponse {
                code: Some(codes::SUCCESS.into()),
                msg: Some("Success".into()),
                sub_code: None,
                sub_msg: None,
                trade_no: Some(payment.payment.clone()),
                out_trade_no: Some(payment.order_ref.clone()),
                buyer_logon_id: Some("158****1562".into()),
                fund_change: Some(fund_change.into()),
                refund_fee: Some(yuan(payment.refunded_minor())),
                send_back_fee: Some(if fund_change == "Y" {
                    yuan(entry.amount_minor)
                } else {
                    yuan(0)
                }),
                store_name: Some("paybridge 沙箱 / sandbox".into()),
                refund_detail_item_list: None,
            };
        match applied {
            Ok(Applied::New(payment, entry)) => {
                host.count(Counted::RefundApplied);
                let answer = reply(&payment, &entry, "Y");
                host.settle(ProviderId::Alipay, payment, entry);
                if self.system_error_quirk {
                    return self.refuse(host, REFUND, "40004", codes::SYSTEM_ERROR, "系统错误");
                }
                self.answer(REFUND, &answer)
            }
            Ok(Applied::Duplicate(payment, entry)) => {
                host.count(Counted::Resend);
                if entry.amount_minor != amount.minor {
                    return self.refuse(
                        host,
                        REFUND,
                        "40004",
                        codes::DISCORDANT_REPEAT_REQUEST,
                        "the same out_request_no with another amount",
                    );
                }
                self.answer(REFUND, &reply(&payment, &entry, "N"))
            }
            Err(Refusal::PaymentNotFound) => {
                self.refuse(host, REFUND, "40004", codes::TRADE_NOT_EXIST, "交易不存在")
            }
            Err(Refusal::PaymentClosed | Refusal::NotPaid) => self.refuse(
                host,
                REFUND,
                "40004",
                "ACQ.TRADE_STATUS_ERROR",
                "交易状态不合法",
            ),
            Err(Refusal::Exceeds { .. } | Refusal::TooManyRefunds | Refusal::PendingExists) => self
                .refuse(
                    host,
                    REFUND,
                    "40004",
                    "ACQ.REASON_TRADE_REFUND_FEE_ERR",
                    "退款金额超限",
                ),
        }
    }

    /// Checks a request as Alipay's gateway does before reading it: no parameter named twice
    /// (one copy would be signed and another read), the app, `sign_type`, the signature over
    /// every parameter but `sign`, the certificate SNs in certificate mode, the timestamp.
    fn authenticate(&self, host: &dyn Host, params: &[(String, String)]) -> Result<(), Refused> {
        let invalid =
            |sub_code: &'static str, sub_msg: &str| ("40002", sub_code, sub_msg.to_owned());
        let mut seen = std::collections::HashSet::with_capacity(params.len());
        if let Some((name, _)) = params.iter().find(|(k, _)| !seen.insert(k.as_str())) {
            return Err(invalid(
                "isv.invalid-parameter",
                &format!("参数 {name} 重复 / named twice"),
            ));
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        if get("app_id") != Some(self.app_id.as_str()) {
            return Err(invalid("isv.invalid-app-id", "无效的AppID参数"));
        }
        if get("sign_type") != Some("RSA2") {
            return Err(invalid(
                "isv.invalid-signature-type",
                "sign_type must be RSA2",
            ));
        }
        let content = sign_content(
            params
                .iter()
                .filter(|(k, _)| k != "sign")
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let signed = get("sign")
            .is_some_and(|sign| self.app_key.verify_base64(content.as_bytes(), sign).is_ok());
        if !signed {
            return Err(invalid("isv.invalid-signature", "验签出错"));
        }
        if let Some(sns) = &self.certificates {
            if get("app_cert_sn") != Some(sns.app_cert_sn.as_str()) {
                return Err(invalid("isv.app-cert-sn-mismatch", "app_cert_sn"));
            }
            if get("alipay_root_cert_sn") != Some(sns.alipay_root_cert_sn.as_str()) {
                return Err(invalid("isv.root-cert-sn-mismatch", "alipay_root_cert_sn"));
            }
        }
        let fresh = get("timestamp")
            .and_then(|t| Timestamp::parse_local(t, SHANGHAI_OFFSET_MINUTES).ok())
            .is_some_and(|t| {
                (host.now().unix_seconds() - t.unix_seconds()).abs() <= host.timestamp_window_secs()
            });
        if !fresh {
            return Err(invalid("isv.invalid-timestamp", "timestamp"));
        }
        Ok(())
    }

    /// A refusal answered as JSON to an API method, or as Alipay's error page to a customer's
    /// browser or app bringing a cashier order.
    fn fail(&self, host: &dyn Host, method: &str, refused: Refused) -> Answer {
        let (code, sub_code, sub_msg) = refused;
        if Cashier::from_method(method).is_some() {
            host.count(Counted::Rejected);
            return cashier_page(
                "支付宝 · 错误 / Alipay error",
                &format!(
                    "<p>错误代码 / error code <code id=\"sub_code\">{}</code></p>\n<p>{}</p>",
                    html_escape(sub_code),
                    html_escape(&sub_msg)
                ),
            );
        }
        let reply_to = if API_METHODS.contains(&method) {
            method
        } else {
            ""
        };
        self.refuse(host, reply_to, code, sub_code, &sub_msg)
    }

    /// The fields every new order carries, checked as Alipay checks them.
    fn new_order(host: &dyn Host, biz: &TradeBiz) -> Result<NewOrder, Refused> {
        let missing = |what: &str| {
            (
                "40002",
                "isv.missing-parameter",
                format!("缺少必选参数 {what}"),
            )
        };
        let invalid = |what: &str| ("40002", "isv.invalid-parameter", format!("参数无效 {what}"));
        let out_trade_no = biz
            .out_trade_no
            .clone()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| missing("out_trade_no"))?;
        if crate::validate::field("out_trade_no", &out_trade_no, 64).is_err() {
            return Err(invalid("out_trade_no"));
        }
        let total = biz
            .total_amount
            .as_deref()
            .ok_or_else(|| missing("total_amount"))?;
        let amount = crate::validate::yuan("total_amount", total)
            .ok()
            .and_then(|()| Money::parse(total, Currency::Cny).ok())
            .ok_or_else(|| invalid("total_amount"))?;
        let subject = biz
            .subject
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| missing("subject"))?;
        if crate::validate::field("subject", subject, crate::validate::MAX_SUBJECT_LEN).is_err() {
            return Err(invalid("subject"));
        }
        let expires_at = match biz.time_expire.as_deref() {
            Some(at) if crate::validate::is_alipay_time(at) => {
                Timestamp::parse_local(at, SHANGHAI_OFFSET_MINUTES).ok()
            }
            Some(_) => return Err(invalid("time_expire")),
            None => None,
        };
        // An order that would be closed before it could be paid is refused, not recorded.
        if expires_at.is_some_and(|at| at.unix_seconds() <= host.now().unix_seconds()) {
            return Err(invalid("time_expire"));
        }
        Ok(NewOrder {
            out_trade_no,
            amount_minor: amount.minor,
            expires_at,
        })
    }

    /// What the ledger holds under `order`'s `out_trade_no`, for an order of `product`.
    fn existing(host: &dyn Host, order: &NewOrder, product: &str) -> Existing {
        let Some(payment) = host
            .ledger()
            .payment_summary(ProviderId::Alipay, &order.out_trade_no)
        else {
            return Existing::Fresh;
        };
        let refused = |sub_code: &'static str, sub_msg: &str| {
            Existing::Refused(("40004", sub_code, sub_msg.to_owned()))
        };
        if payment.paid && !payment.closed && payment.refunded_minor() < payment.amount_minor {
            return refused(codes::TRADE_HAS_SUCCESS, "交易已被支付");
        }
        if payment.paid || payment.closed_at(host.now()) {
            return refused(codes::TRADE_HAS_CLOSE, "交易已经关闭");
        }
        if payment.amount_minor != order.amount_minor || payment.scene.as_deref() != Some(product) {
            return refused(codes::CONTEXT_INCONSISTENT, "交易信息被篡改");
        }
        Existing::Same(payment)
    }

    /// Records a new trade waiting for the buyer.
    fn record(
        &self,
        host: &dyn Host,
        order: NewOrder,
        product: &str,
        notify_url: Option<&str>,
    ) -> Result<Payment, Refused> {
        let (trade_no, _) = self.payment_ids(host.ledger().next_number());
        let mut payment = Payment::awaiting_payment(
            ProviderId::Alipay,
            trade_no,
            order.out_trade_no,
            order.amount_minor,
            Currency::Cny,
            host.now(),
        );
        payment.notify_url = notify_url.filter(|u| !u.is_empty()).map(str::to_owned);
        payment.expires_at = order.expires_at;
        payment.scene = Some(product.to_owned());
        match host.ledger().add_payment(payment) {
            Ok(payment) => {
                host.count(Counted::PaymentCreated);
                Ok(payment)
            }
            Err(_) => Err((
                "40004",
                codes::CONTEXT_INCONSISTENT,
                "交易信息被篡改".to_owned(),
            )),
        }
    }

    /// A new order, or the same one again: the trade it is, or Alipay's refusal.
    fn open_trade(
        &self,
        host: &dyn Host,
        biz: &TradeBiz,
        product: &str,
        notify_url: Option<&str>,
    ) -> Result<Payment, Refused> {
        let order = Self::new_order(host, biz)?;
        match Self::existing(host, &order, product) {
            Existing::Refused(refused) => Err(refused),
            Existing::Same(payment) => Ok(payment),
            Existing::Fresh => self.record(host, order, product, notify_url),
        }
    }

    fn biz(biz: &str) -> Result<TradeBiz, Refused> {
        serde_json::from_str(biz).map_err(|_| {
            (
                "40002",
                "isv.invalid-parameter",
                "biz_content is not a JSON object".to_owned(),
            )
        })
    }

    /// `alipay.trade.precreate`: a trade waiting for the buyer to scan its QR code. The same
    /// `out_trade_no` and amount again answer the same code.
    fn precreate(&self, host: &dyn Host, biz: &str, notify_url: Option<&str>) -> Answer {
        let opened = Self::biz(biz).and_then(|biz| {
            let product = biz
                .product_code
                .clone()
                .unwrap_or_else(|| FACE_TO_FACE_PAYMENT.to_owned());
            self.open_trade(host, &biz, &product, notify_url)
        });
        match opened {
            Ok(payment) => self.answer(
                PRECREATE,
                &PrecreateResponse {
                    code: Some(codes::SUCCESS.into()),
                    msg: Some("Success".into()),
                    out_trade_no: Some(payment.order_ref.clone()),
                    qr_code: Some(format!("https://qr.alipay.com/bax0{}", payment.payment)),
                    ..PrecreateResponse::default()
                },
            ),
            Err(refused) => self.fail(host, PRECREATE, refused),
        }
    }

    /// `alipay.trade.pay`: charges a payment code. Every charge is counted, resends too. A
    /// code the ledger never issued, or one already used, is `ACQ.PAYMENT_AUTH_CODE_INVALID`
    /// and nothing is recorded; a resend under a waiting trade's `out_trade_no` is that trade
    /// (the code is not taken again).
    fn pay(&self, host: &dyn Host, biz: &str, notify_url: Option<&str>) -> Answer {
        host.count(Counted::Charge);
        let charged = Self::biz(biz).and_then(|biz| self.charge(host, &biz, notify_url));
        match charged {
            Ok((payment, code)) => {
                let paid = code == codes::SUCCESS;
                self.answer(
                    PAY,
                    &TradePayResponse {
                        code: Some(code.into()),
                        msg: Some(
                            if paid {
                                "Success"
                            } else {
                                "order success pay inprocess"
                            }
                            .into(),
                        ),
                        trade_no: Some(payment.payment.clone()),
                        out_trade_no: Some(payment.order_ref.clone()),
                        buyer_logon_id: Some("158****1562".into()),
                        total_amount: Some(yuan(payment.amount_minor)),
                        receipt_amount: paid.then(|| yuan(payment.amount_minor)),
                        buyer_pay_amount: paid.then(|| yuan(payment.amount_minor)),
                        gmt_payment: paid.then(|| alipay_time(payment.paid_at)),
                        buyer_user_id: Some("2088102122524333".into()),
                        ..TradePayResponse::default()
                    },
                )
            }
            Err(refused) => self.fail(host, PAY, refused),
        }
    }

    /// The charge itself: the trade and the code to answer (`10000` paid, `10003` waiting).
    fn charge(
        &self,
        host: &dyn Host,
        biz: &TradeBiz,
        notify_url: Option<&str>,
    ) -> Result<(Payment, &'static str), Refused> {
        if biz.scene.as_deref().is_some_and(|s| s != BAR_CODE) {
            return Err(("40002", "isv.invalid-parameter", "参数无效 scene".into()));
        }
        let auth_code = biz.auth_code.clone().filter(|c| !c.is_empty()).ok_or((
            "40002",
            "isv.missing-parameter",
            "缺少必选参数 auth_code".to_owned(),
        ))?;
        let order = Self::new_order(host, biz)?;
        match Self::existing(host, &order, BAR_CODE) {
            Existing::Refused(refused) => return Err(refused),
            Existing::Same(payment) => return Ok((payment, codes::WAITING_FOR_BUYER)),
            Existing::Fresh => {}
        }
        let Some(needs_password) = host.ledger().take_auth_code(ProviderId::Alipay, &auth_code)
        else {
            return Err((
                "40004",
                codes::PAYMENT_AUTH_CODE_INVALID,
                "支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款".into(),
            ));
        };
        let payment = self.record(host, order, BAR_CODE, notify_url)?;
        if needs_password {
            return Ok((payment, codes::WAITING_FOR_BUYER));
        }
        let paid = host
            .ledger()
            .customer(
                ProviderId::Alipay,
                &payment.order_ref,
                CustomerAction::Pay,
                host.now(),
            )
            .map_err(|_| ("20000", "ACQ.SYSTEM_ERROR", "系统错误".to_owned()))?;
        if let Some(delivery) = self.payment_notification(host, &paid) {
            host.deliver(delivery);
        }
        Ok((paid, codes::SUCCESS))
    }

    /// `alipay.trade.create` (JSAPI): a trade for one buyer, answered with its `trade_no`.
    fn create(&self, host: &dyn Host, biz: &str, notify_url: Option<&str>) -> Answer {
        let created = Self::biz(biz).and_then(|biz| {
            if biz.product_code.as_deref() != Some(JSAPI_PAY) {
                return Err((
                    "40002",
                    "isv.invalid-parameter",
                    "参数无效 product_code: JSAPI_PAY".to_owned(),
                ));
            }
            let buyer = biz
                .buyer_open_id
                .as_deref()
                .or(biz.buyer_id.as_deref())
                .filter(|b| !b.is_empty());
            if buyer.is_none() {
                return Err((
                    "40002",
                    "isv.missing-parameter",
                    "缺少必选参数 buyer_open_id".to_owned(),
                ));
            }
            self.open_trade(host, &biz, JSAPI_PAY, notify_url)
        });
        match created {
            Ok(payment) => self.answer(
                CREATE,
                &TradeCreateResponse {
                    code: Some(codes::SUCCESS.into()),
                    msg: Some("Success".into()),
                    out_trade_no: Some(payment.order_ref.clone()),
                    trade_no: Some(payment.payment.clone()),
                    ..TradeCreateResponse::default()
                },
            ),
            Err(refused) => self.fail(host, CREATE, refused),
        }
    }

    /// The trade a query, close or cancel names (`trade_no` first, as Alipay reads them).
    fn named(biz: &str) -> Result<(TradeBiz, String), Refused> {
        let biz = Self::biz(biz)?;
        let reference = biz
            .trade_no
            .clone()
            .or_else(|| biz.out_trade_no.clone())
            .filter(|r| !r.is_empty())
            .ok_or((
                "40002",
                "isv.missing-parameter",
                "缺少必选参数 trade_no or out_trade_no".to_owned(),
            ))?;
        Ok((biz, reference))
    }

    fn not_exist() -> Refused {
        ("40004", codes::TRADE_NOT_EXIST, "交易不存在".to_owned())
    }

    /// `alipay.trade.query`. A trade Alipay does not hold yet (see the module's
    /// documentation) is `ACQ.TRADE_NOT_EXIST`.
    fn trade_query(&self, host: &dyn Host, biz: &str) -> Answer {
        let now = host.now();
        let found = Self::named(biz).and_then(|(_, reference)| {
            host.ledger()
                .payment_summary(ProviderId::Alipay, &reference)
                .filter(|p| exists_at_alipay(p, now))
                .ok_or_else(Self::not_exist)
        });
        let payment = match found {
            Ok(payment) => payment,
            Err(refused) => return self.fail(host, TRADE_QUERY, refused),
        };
        let paid_sum = if payment.paid {
            payment.amount_minor
        } else {
            0
        };
        self.answer(
            TRADE_QUERY,
            &TradeQueryResponse {
                code: Some(codes::SUCCESS.into()),
                msg: Some("Success".into()),
                trade_no: Some(payment.payment.clone()),
                out_trade_no: Some(payment.order_ref.clone()),
                buyer_logon_id: payment.paid.then(|| "158****1562".into()),
                trade_status: Some(trade_status(&payment, now).into()),
                total_amount: Some(yuan(payment.amount_minor)),
                receipt_amount: Some(yuan(paid_sum)),
                buyer_pay_amount: Some(yuan(paid_sum)),
                send_pay_date: payment.paid.then(|| alipay_time(payment.paid_at)),
                ..TradeQueryResponse::default()
            },
        )
    }

    /// `alipay.trade.close`: only a trade waiting for the buyer closes; a paid or closed one is
    /// `ACQ.TRADE_STATUS_ERROR`.
    fn close(&self, host: &dyn Host, biz: &str) -> Answer {
        let now = host.now();
        let closed = Self::named(biz).and_then(|(_, reference)| {
            let payment = host
                .ledger()
                .payment_summary(ProviderId::Alipay, &reference)
                .filter(|p| exists_at_alipay(p, now))
                .ok_or_else(Self::not_exist)?;
            if payment.paid || payment.closed_at(now) {
                return Err((
                    "40004",
                    codes::TRADE_STATUS_ERROR,
                    "交易状态不合法".to_owned(),
                ));
            }
            let closed = host
                .ledger()
                .close_unpaid(ProviderId::Alipay, &payment.payment)
                .map_err(|_| {
                    (
                        "40004",
                        codes::TRADE_STATUS_ERROR,
                        "交易状态不合法".to_owned(),
                    )
                })?;
            host.count(Counted::PaymentClosed);
            Ok(closed)
        });
        match closed {
            Ok(payment) => self.answer(
                CLOSE,
                &TradeCloseResponse {
                    code: Some(codes::SUCCESS.into()),
                    msg: Some("Success".into()),
                    trade_no: Some(payment.payment.clone()),
                    out_trade_no: Some(payment.order_ref.clone()),
                    ..TradeCloseResponse::default()
                },
            ),
            Err(refused) => self.fail(host, CLOSE, refused),
        }
    }

    /// `alipay.trade.cancel`: closes an unpaid trade (`action` `close`), refunds a paid one in
    /// full (`refund`); `retry_flag` is always `N` here.
    ///
    /// Our decision for an `out_trade_no` Alipay has never seen: a closed placeholder is
    /// recorded under it, and the cancel answers `close`. A barcode charge whose answer was
    /// lost may still arrive after the merchant cancelled it; the placeholder makes that late
    /// charge `ACQ.TRADE_HAS_CLOSE` instead of a payment nobody is waiting for.
    fn cancel(&self, host: &dyn Host, biz: &str) -> Answer {
        let cancelled = Self::named(biz).and_then(|(biz, reference)| {
            let ledger = host.ledger();
            match ledger.payment_summary(ProviderId::Alipay, &reference) {
                Some(before) => {
                    let after = ledger
                        .reverse(ProviderId::Alipay, &before.payment)
                        .ok_or_else(Self::not_exist)?;
                    if !before.closed {
                        host.count(Counted::PaymentClosed);
                    }
                    Ok((Some(after.payment.clone()), after))
                }
                None => {
                    let out_trade_no = biz
                        .out_trade_no
                        .filter(|o| !o.is_empty())
                        .ok_or_else(Self::not_exist)?;
                    let (trade_no, _) = self.payment_ids(ledger.next_number());
                    let placeholder = Payment::awaiting_payment(
                        ProviderId::Alipay,
                        trade_no,
                        out_trade_no,
                        0,
                        Currency::Cny,
                        host.now(),
                    );
                    let recorded = ledger
                        .add_payment(placeholder)
                        .map_err(|_| ("20000", "ACQ.SYSTEM_ERROR", "系统错误".to_owned()))?;
                    let closed = ledger
                        .reverse(ProviderId::Alipay, &recorded.payment)
                        .ok_or(("20000", "ACQ.SYSTEM_ERROR", "系统错误".to_owned()))?;
                    host.count(Counted::PaymentClosed);
                    Ok((None, closed))
                }
            }
        });
        match cancelled {
            Ok((trade_no, payment)) => {
                let refunded = payment.reversed;
                self.answer(
                    CANCEL,
                    &TradeCancelResponse {
                        code: Some(codes::SUCCESS.into()),
                        msg: Some("Success".into()),
                        trade_no,
                        out_trade_no: Some(payment.order_ref.clone()),
                        retry_flag: Some("N".into()),
                        action: Some(if refunded { "refund" } else { "close" }.into()),
                        gmt_refund_pay: refunded.then(|| alipay_time(host.now())),
                        ..TradeCancelResponse::default()
                    },
                )
            }
            Err(refused) => self.fail(host, CANCEL, refused),
        }
    }

    /// A customer's browser or app bringing a signed cashier order (`alipay.trade.page.pay`,
    /// `wap.pay`, `app.pay`): the order is recorded as a trade waiting for the buyer — this is
    /// how Alipay (and the sandbox) learns of payments paybridge built without sending
    /// anything — and the cashier's page answers.
    fn cashier(
        &self,
        host: &dyn Host,
        cashier: Cashier,
        biz: &str,
        notify_url: Option<&str>,
    ) -> Answer {
        let opened = Self::biz(biz).and_then(|biz| {
            if biz.product_code.as_deref() != Some(cashier.product_code()) {
                return Err((
                    "40002",
                    "isv.invalid-parameter",
                    format!("参数无效 product_code: {}", cashier.product_code()),
                ));
            }
            let subject = biz.subject.clone().unwrap_or_default();
            self.open_trade(host, &biz, cashier.product_code(), notify_url)
                .map(|payment| (payment, subject))
        });
        match opened {
            Ok((payment, subject)) => cashier_page(
                "支付宝 · 收银台 / Alipay cashier",
                &format!(
                    "<p>订单 / order <code id=\"out_trade_no\">{}</code></p>\n\
                     <p>交易 / trade <code id=\"trade_no\">{}</code></p>\n\
                     <p>¥ <span id=\"total_amount\">{}</span> — {}</p>\n\
                     <p>等待付款 / waiting for the buyer (paybridge sandbox: \
                     <code>POST /_sandbox/customer</code> pays it)</p>",
                    html_escape(&payment.order_ref),
                    html_escape(&payment.payment),
                    yuan(payment.amount_minor),
                    html_escape(&subject),
                ),
            ),
            Err(refused) => self.fail(host, cashier.method(), refused),
        }
    }

    fn query(&self, host: &dyn Host, biz: &str) -> Answer {
        let Ok(query) = serde_json::from_str::<TradeRefundQuery>(biz) else {
            return self.refuse(
                host,
                REFUND_QUERY,
                "40002",
                "isv.invalid-parameter",
                "biz_content is not a query",
            );
        };
        if let Err(e) = crate::validate::query(&query) {
            return self.refuse(
                host,
                REFUND_QUERY,
                "40002",
                "isv.invalid-parameter",
                &e.to_string(),
            );
        }
        let trade = query
            .trade_no
            .clone()
            .or_else(|| query.out_trade_no.clone())
            .unwrap_or_default();
        // The whole payment, refunds and all: `out_request_no` is unique within its trade only,
        // so the refund is looked for among this trade's refunds, never the merchant's.
        let Some(payment) = host.ledger().payment(ProviderId::Alipay, &trade) else {
            return self.refuse(
                host,
                REFUND_QUERY,
                "40004",
                codes::TRADE_NOT_EXIST,
                "交易不存在",
            );
        };
        let found = payment
            .refunds
            .iter()
            .find(|entry| entry.refund_id == query.out_request_no)
            .cloned();
        let mut reply = RefundQueryResponse {
            code: Some(codes::SUCCESS.into()),
            msg: Some("Success".into()),
            sub_code: None,
            sub_msg: None,
            trade_no: Some(payment.payment.clone()),
            out_trade_no: Some(payment.order_ref.clone()),
            out_request_no: Some(query.out_request_no.clone()),
            refund_status: None,
            total_amount: Some(yuan(payment.amount_minor)),
            refund_amount: None,
            gmt_refund_pay: None,
        };
        // Only a settled refund shows: until then (and for none at all) the status is absent.
        if let Some(entry) = found
            && entry.status == RefundState::Succeeded
        {
            reply.refund_status = Some(codes::REFUND_SUCCESS.into());
            reply.refund_amount = Some(yuan(entry.amount_minor));
            reply.gmt_refund_pay = entry.completed_at.map(alipay_time);
        }
        self.answer(REFUND_QUERY, &reply)
    }

    /// A signed async notification's form body, as Alipay posts it.
    ///
    /// # Errors
    /// The key cannot sign.
    pub fn notification(&self, params: &[(&str, String)]) -> Result<Vec<u8>, String> {
        let content = sign_content(
            params
                .iter()
                .filter(|(k, _)| *k != "sign" && *k != "sign_type")
                .map(|(k, v)| (*k, v.as_str())),
        );
        let sign = self
            .alipay_key
            .sign_base64(content.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut all: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.push(("sign_type", "RSA2"));
        all.push(("sign", &sign));
        Ok(form_encode(all).into_bytes())
    }
}

/// A small HTML page in Alipay's cashier's place: what the customer's browser (or app) is
/// shown for an order it brought, or Alipay's error page (Alipay answers both `200`).
fn cashier_page(title: &str, content: &str) -> Answer {
    let title = html_escape(title);
    let html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>\n<h1>{title}</h1>\n{content}\n</body></html>\n"
    );
    bytes(200, "text/html;charset=utf-8", html.into_bytes())
}

/// Whether a merchant's answer acknowledges a notification, Alipay's way: the text `success`.
fn acknowledged(status: http::StatusCode, body: &[u8]) -> bool {
    status.is_success() && body.trim_ascii() == crate::NOTIFICATION_ACK.as_bytes()
}

/// Where the sandbox serves bill downloads (under `/alipay`), named as Alipay's bill host
/// names its own.
const BILL_PATH: &str = "/bill/downloadBillFile.resource";
/// The merchant's account (PID) the emulated bills are for.
const SELLER_ID: &str = "2088101106499364";
/// How long a bill link stays valid, as Alipay documents it.
const BILL_LINK_SECONDS: i64 = 30;
/// The trade bill's detail header, in Alipay's column order.
const TRADE_HEADER: &str = "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注";
/// The fund flow's (`signcustomer`) 12 columns.
const FUND_HEADER: &str = "账务流水号,业务流水号,商户订单号,商品名称,发生时间,对方账号,收入金额（+元）,支出金额（-元）,账户余额（元）,交易渠道,业务类型,备注";

/// `alipay.data.dataservice.bill.downloadurl.query`'s `biz_content` as Alipay reads it.
#[derive(serde::Deserialize)]
struct BillBiz {
    bill_type: Option<String>,
    bill_date: Option<String>,
}

/// The period a bill covers, in Beijing time.
struct Period {
    /// Its first second (unix).
    start: i64,
    /// The first second after it (unix).
    end: i64,
    /// `yyyyMMdd` or `yyyyMM`, as the bill's file names write it.
    digits: String,
}

impl Period {
    /// The period of `date` (`YYYY-MM-DD` or `YYYY-MM`), or of its digits (`yyyyMMdd`,
    /// `yyyyMM`).
    fn parse(date: &str) -> Option<Period> {
        let digits: String = date.chars().filter(|c| *c != '-').collect();
        let dashed = match (date.len(), digits.len()) {
            (10, 8) | (8, 8) => format!(
                "{}-{}-{}",
                digits.get(..4)?,
                digits.get(4..6)?,
                digits.get(6..8)?
            ),
            (7, 6) | (6, 6) => format!("{}-{}-01", digits.get(..4)?, digits.get(4..6)?),
            _ => return None,
        };
        let start = Timestamp::parse_local(&format!("{dashed} 00:00:00"), SHANGHAI_OFFSET_MINUTES)
            .ok()?
            .unix_seconds();
        let end = if digits.len() == 8 {
            start + 86_400
        } else {
            let year: i64 = digits.get(..4)?.parse().ok()?;
            let month: u32 = digits.get(4..6)?.parse().ok()?;
            let (year, month) = if month == 12 {
                (year + 1, 1)
            } else {
                (year, month + 1)
            };
            Timestamp::parse_local(
                &format!("{year:04}-{month:02}-01 00:00:00"),
                SHANGHAI_OFFSET_MINUTES,
            )
            .ok()?
            .unix_seconds()
        };
        Some(Period { start, end, digits })
    }

    fn holds(&self, at: Timestamp) -> bool {
        (self.start..self.end).contains(&at.unix_seconds())
    }
}

/// One row of an emulated bill.
struct BillRow {
    trade_no: String,
    out_trade_no: String,
    refund: bool,
    created: Timestamp,
    finished: Timestamp,
    /// Fen, negative for a refund.
    amount_minor: i64,
    refund_id: String,
}

/// The bill's rows from the ledger: payments paid in the period (交易) and refunds that became
/// final (succeeded) in it (退款), by time.
fn bill_rows(host: &dyn Host, period: &Period) -> Vec<BillRow> {
    let mut rows = Vec::new();
    for payment in host.ledger().payments() {
        if payment.provider != ProviderId::Alipay || !payment.paid {
            continue;
        }
        if period.holds(payment.paid_at) {
            rows.push(BillRow {
                trade_no: payment.payment.clone(),
                out_trade_no: payment.order_ref.clone(),
                refund: false,
                created: payment.paid_at,
                finished: payment.paid_at,
                amount_minor: payment.amount_minor,
                refund_id: String::new(),
            });
        }
        for refund in &payment.refunds {
            let Some(completed) = refund.completed_at else {
                continue;
            };
            if refund.status == RefundState::Succeeded && period.holds(completed) {
                rows.push(BillRow {
                    trade_no: payment.payment.clone(),
                    out_trade_no: payment.order_ref.clone(),
                    refund: true,
                    created: refund.created_at,
                    finished: completed,
                    amount_minor: -refund.amount_minor,
                    refund_id: refund.refund_id.clone(),
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        (a.finished.unix_seconds(), &a.trade_no, &a.refund_id).cmp(&(
            b.finished.unix_seconds(),
            &b.trade_no,
            &b.refund_id,
        ))
    });
    rows
}

/// A CSV field as Alipay writes an id: padded with a tab (so a spreadsheet keeps its digits),
/// quoted only if it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// `2026年12月03日 00:00:00`, as a bill's comment lines write a time.
fn chinese_time(unix: i64) -> String {
    let at =
        Timestamp::from_unix_with_offset(unix, SHANGHAI_OFFSET_MINUTES).unwrap_or(Timestamp::EPOCH);
    let (y, mo, d, h, mi, s) = at.local_fields();
    format!("{y:04}年{mo:02}月{d:02}日 {h:02}:{mi:02}:{s:02}")
}

/// The account the bill is for, as its comment line writes it: the PID and `0156`.
fn bill_account() -> String {
    format!("{SELLER_ID}0156")
}

/// The comment lines a bill starts with.
fn bill_preamble(title: &str, list: &str, period: &Period) -> String {
    format!(
        "#{title}\r\n#账号：[{}]\r\n#起始日期：[{}]   终止日期：[{}]\r\n#-----------------------------------------{list}----------------------------------------\r\n",
        bill_account(),
        chinese_time(period.start),
        chinese_time(period.end)
    )
}

/// The trade bill: its detail and its summary, as text.
fn trade_bill(rows: &[BillRow], period: &Period, now: Timestamp) -> (String, String) {
    let mut detail = bill_preamble("支付宝业务明细查询", "业务明细列表", period);
    detail.push_str(TRADE_HEADER);
    detail.push_str("\r\n");
    let (mut paid, mut paid_minor, mut refunded, mut refunded_minor) = (0u64, 0i64, 0u64, 0i64);
    for row in rows {
        let amount = yuan(row.amount_minor);
        if row.refund {
            refunded += 1;
            refunded_minor += row.amount_minor;
        } else {
            paid += 1;
            paid_minor += row.amount_minor;
        }
        let fields = [
            format!("{}\t", csv_field(&row.trade_no)),
            format!("{}\t", csv_field(&row.out_trade_no)),
            (if row.refund { "退款" } else { "交易" }).to_owned(),
            csv_field(&row.out_trade_no),
            alipay_time(row.created),
            alipay_time(row.finished),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "158****1562".to_owned(),
            amount.clone(),
            amount,
            "0.00".into(),
            "0.00".into(),
            "0.00".into(),
            "0.00".into(),
            "0.00".into(),
            String::new(),
            "0.00".into(),
            "0.00".into(),
            if row.refund {
                format!("{}\t", csv_field(&row.refund_id))
            } else {
                String::new()
            },
            "0.00".into(),
            "0.00".into(),
            String::new(),
        ];
        detail.push_str(&fields.join(","));
        detail.push_str("\r\n");
    }
    detail.push_str("#-----------------------------------------业务明细列表结束------------------------------------\r\n");
    detail.push_str(&format!(
        "#交易合计：{paid}笔，商家实收共{}元，商家优惠共0.00元\r\n#退款合计：{refunded}笔，商家实收退款共{}元，商家优惠退款共0.00元\r\n#导出时间：[{}]\r\n",
        yuan(paid_minor),
        yuan(refunded_minor),
        chinese_time(now.unix_seconds())
    ));
    let net = yuan(paid_minor + refunded_minor);
    let mut summary = bill_preamble("支付宝业务汇总查询", "业务汇总列表", period);
    summary.push_str("门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,支付宝优惠（元）,商家优惠（元）,卡消费金额（元）,服务费（元）,分润（元）,实收净额（元）\r\n");
    for label in ["", "合计"] {
        summary.push_str(&format!(
            "{label},,{paid},{refunded},{net},{net},0.00,0.00,0.00,0.00,0.00,{net}\r\n"
        ));
    }
    summary.push_str(&format!(
        "#-----------------------------------------业务汇总列表结束------------------------------------\r\n#导出时间：[{}]\r\n",
        chinese_time(now.unix_seconds())
    ));
    (detail, summary)
}

/// The fund flow (`signcustomer`): the account's income and expenses, a running balance.
fn fund_bill(rows: &[BillRow], period: &Period, now: Timestamp) -> (String, String) {
    let mut detail = bill_preamble("支付宝账务明细查询", "账务明细列表", period);
    detail.push_str(FUND_HEADER);
    detail.push_str("\r\n");
    let (mut balance, mut income, mut expense) = (0i64, 0i64, 0i64);
    for (n, row) in rows.iter().enumerate() {
        balance += row.amount_minor;
        let (plus, minus, word) = if row.refund {
            expense += row.amount_minor;
            (String::new(), yuan(row.amount_minor), "交易退款")
        } else {
            income += row.amount_minor;
            (yuan(row.amount_minor), String::new(), "在线支付")
        };
        let fields = [
            format!("{}{n:08}\t", period.digits),
            format!("{}\t", csv_field(&row.trade_no)),
            format!("{}\t", csv_field(&row.out_trade_no)),
            csv_field(&row.out_trade_no),
            alipay_time(row.finished),
            "158****1562".to_owned(),
            plus,
            minus,
            yuan(balance),
            "支付宝".to_owned(),
            word.to_owned(),
            String::new(),
        ];
        detail.push_str(&fields.join(","));
        detail.push_str("\r\n");
    }
    detail.push_str("#-----------------------------------------账务明细列表结束------------------------------------\r\n");
    detail.push_str(&format!(
        "#收入合计：{}元\r\n#支出合计：{}元\r\n#导出时间：[{}]\r\n",
        yuan(income),
        yuan(expense),
        chinese_time(now.unix_seconds())
    ));
    let mut summary = bill_preamble("支付宝账务汇总查询", "账务汇总列表", period);
    summary.push_str("收入笔数,收入金额（+元）,支出笔数,支出金额（-元）\r\n");
    let incomes = rows.iter().filter(|r| !r.refund).count();
    summary.push_str(&format!(
        "{incomes},{},{},{}\r\n",
        yuan(income),
        rows.len() - incomes,
        yuan(expense)
    ));
    summary.push_str("#-----------------------------------------账务汇总列表结束------------------------------------\r\n");
    (detail, summary)
}

/// `text` in GBK, as Alipay writes its bills and their entry names.
fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

/// An MS-DOS time and date (what a zip header holds) of `at` in Beijing time.
fn dos_time(at: Timestamp) -> (u16, u16) {
    let local = at.with_offset(SHANGHAI_OFFSET_MINUTES).unwrap_or(at);
    let (y, mo, d, h, mi, s) = local.local_fields();
    let year = u32::try_from(y.clamp(1980, 2107) - 1980).unwrap_or(0);
    let time = u16::try_from((h << 11) | (mi << 5) | (s / 2)).unwrap_or(0);
    let date = u16::try_from((year << 9) | (mo << 5) | d).unwrap_or(0);
    (time, date)
}

/// A zip of `files` (name and content, each name GBK without the UTF-8 flag — as Alipay's
/// zips are), deflated, and where each entry's compressed data lies.
fn bill_zip(
    files: &[(Vec<u8>, Vec<u8>)],
    at: Timestamp,
) -> Result<(Vec<u8>, Vec<std::ops::Range<usize>>), String> {
    use std::io::Write;
    let (time, date) = dos_time(at);
    let small = |n: usize| u32::try_from(n).map_err(|_| "the bill is too large".to_owned());
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut ranges = Vec::new();
    for (name, content) in files {
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(content).map_err(|e| e.to_string())?;
        let data = encoder.finish().map_err(|e| e.to_string())?;
        let mut crc = flate2::Crc::new();
        crc.update(content);
        let offset = small(out.len())?;
        let name_len = u16::try_from(name.len()).map_err(|_| "a name is too long".to_owned())?;
        let fixed = |buf: &mut Vec<u8>| -> Result<(), String> {
            buf.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0
            buf.extend_from_slice(&0u16.to_le_bytes()); // flags: no UTF-8 flag, no descriptor
            buf.extend_from_slice(&8u16.to_le_bytes()); // deflate
            buf.extend_from_slice(&time.to_le_bytes());
            buf.extend_from_slice(&date.to_le_bytes());
            buf.extend_from_slice(&crc.sum().to_le_bytes());
            buf.extend_from_slice(&small(data.len())?.to_le_bytes());
            buf.extend_from_slice(&small(content.len())?.to_le_bytes());
            buf.extend_from_slice(&name_len.to_le_bytes());
            buf.extend_from_slice(&0u16.to_le_bytes()); // no extra field
            Ok(())
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fixed(&mut out)?;
        out.extend_from_slice(name);
        ranges.push(out.len()..out.len() + data.len());
        out.extend_from_slice(&data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by: MS-DOS, 2.0
        fixed(&mut central)?;
        central.extend_from_slice(&0u16.to_le_bytes()); // no comment
        central.extend_from_slice(&0u16.to_le_bytes()); // disk 0
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let count = u16::try_from(files.len()).map_err(|_| "too many files".to_owned())?;
    let central_at = small(out.len())?;
    let central_len = small(central.len())?;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok((out, ranges))
}

impl AlipayEmulator {
    /// `alipay.data.dataservice.bill.downloadurl.query`: a link (valid 30 seconds) to the bill
    /// of any day or month the ledger has rows in — today's included — or `40004
    /// isp.bill_not_exist`.
    fn bill_query(&self, host: &dyn Host, biz: &str) -> Answer {
        let invalid = |what: &str| {
            self.refuse(
                host,
                BILL_QUERY,
                "40002",
                "isv.invalid-parameter",
                &format!("参数有误 {what}"),
            )
        };
        let Ok(biz) = serde_json::from_str::<BillBiz>(biz) else {
            return invalid("biz_content");
        };
        let bill_type = biz.bill_type.unwrap_or_default();
        if bill_type != "trade" && bill_type != "signcustomer" {
            return invalid("bill_type");
        }
        let date = biz.bill_date.unwrap_or_default();
        let Some(period) = Period::parse(&date).filter(|_| matches!(date.len(), 7 | 10)) else {
            return invalid("bill_date");
        };
        if bill_rows(host, &period).is_empty() {
            return self.refuse(
                host,
                BILL_QUERY,
                "40004",
                codes::BILL_NOT_EXIST,
                "账单不存在",
            );
        }
        let link = format!(
            "{}/alipay{BILL_PATH}?{}",
            host.base_url().trim_end_matches('/'),
            form_encode([
                ("bizType", bill_type.as_str()),
                ("userId", &bill_account()),
                ("fileType", "csv.zip"),
                ("bizDates", &period.digits),
                (
                    "expires",
                    &(host.now().unix_seconds() + BILL_LINK_SECONDS).to_string()
                ),
            ])
        );
        self.answer(
            BILL_QUERY,
            &crate::wire::responses::BillDownloadUrlResponse {
                code: Some(codes::SUCCESS.into()),
                msg: Some("Success".into()),
                sub_code: None,
                sub_msg: None,
                bill_download_url: Some(link),
            },
        )
    }

    /// The download a bill link leads to: the zip, built from the ledger now (unsigned, as at
    /// Alipay); with [`AlipayEmulator::with_corrupt_bills`], a byte of the detail flipped.
    fn bill_download(&self, host: &dyn Host, query: &str) -> Answer {
        let not_found = || bytes(404, "text/plain", b"the bill link is unknown".to_vec());
        let Ok(params) = form_decode(query.as_bytes()) else {
            return not_found();
        };
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let expires = get("expires").and_then(|e| e.parse::<i64>().ok());
        if expires.is_none_or(|e| host.now().unix_seconds() > e) {
            return bytes(410, "text/plain", b"the bill link has expired".to_vec());
        }
        let (Some(bill_type), Some(period)) =
            (get("bizType"), get("bizDates").and_then(Period::parse))
        else {
            return not_found();
        };
        let rows = bill_rows(host, &period);
        let now = host.now();
        let ((detail, summary), list) = match bill_type {
            "trade" => (trade_bill(&rows, &period, now), "业务明细"),
            "signcustomer" => (fund_bill(&rows, &period, now), "账务明细"),
            _ => return not_found(),
        };
        let stem = format!("{}_{}_{list}", bill_account(), period.digits);
        // The summary first, as Alipay's zips often have it: a reader must look for the
        // detail by name.
        let files = [
            (gbk(&format!("{stem}(汇总).csv")), gbk(&summary)),
            (gbk(&format!("{stem}.csv")), gbk(&detail)),
        ];
        let Ok((mut zip, ranges)) = bill_zip(&files, now) else {
            return bytes(500, "text/plain", b"system error".to_vec());
        };
        if self.corrupt_bills
            && let Some(range) = ranges.get(1)
            && let Some(byte) = zip.get_mut(range.start + range.len() / 2)
        {
            *byte ^= 0x5a;
        }
        bytes(200, "application/zip", zip)
    }
}

impl Emulator for AlipayEmulator {
    fn refund_ids_per_payment(&self) -> bool {
        true
    }

    fn provider(&self) -> ProviderId {
        ProviderId::Alipay
    }

    fn handle(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        path: &str,
        body: &[u8],
    ) -> Answer {
        let get_request = request.method == http::Method::GET;
        if get_request && path == BILL_PATH {
            return self.bill_download(host, request.uri.query().unwrap_or_default());
        }
        if path != "/gateway.do" || !(get_request || request.method == http::Method::POST) {
            return bytes(404, "text/plain", b"not found".to_vec());
        }
        let query = request.uri.query().unwrap_or_default().as_bytes();
        let (Ok(mut params), Ok(form)) = (form_decode(query), form_decode(body)) else {
            return self.refuse(host, "", "40002", "isv.invalid-parameter", "not a form");
        };
        params.extend(form);
        let method = params
            .iter()
            .find(|(k, _)| k == "method")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let cashier = Cashier::from_method(&method);
        // A browser opens a cashier order by `GET`; every API call is a `POST`.
        if get_request && cashier.is_none() {
            return bytes(404, "text/plain", b"not found".to_vec());
        }
        match self.authenticate(host, &params) {
            Ok(()) => {}
            Err(refused) => return self.fail(host, &method, refused),
        }
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let biz = get("biz_content").unwrap_or_default();
        let notify_url = get("notify_url");
        if let Some(cashier) = cashier {
            return self.cashier(host, cashier, biz, notify_url);
        }
        match method.as_str() {
            REFUND => self.refund(host, biz, notify_url),
            REFUND_QUERY => self.query(host, biz),
            PRECREATE => self.precreate(host, biz, notify_url),
            TRADE_QUERY => self.trade_query(host, biz),
            PAY => self.pay(host, biz, notify_url),
            CREATE => self.create(host, biz, notify_url),
            CLOSE => self.close(host, biz),
            CANCEL => self.cancel(host, biz),
            BILL_QUERY => self.bill_query(host, biz),
            _ => self.refuse(host, "", "40002", "isv.invalid-method", "不存在的方法名"),
        }
    }

    fn payment_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
    ) -> Option<OutgoingNotification> {
        if !payment.paid {
            return None;
        }
        let url = payment.notify_url.clone()?;
        let amount = yuan(payment.amount_minor);
        let mut params: Vec<(&str, String)> = vec![
            ("notify_time", alipay_time(host.now())),
            ("notify_type", "trade_status_sync".into()),
            (
                "notify_id",
                format!("ac05099524730693a8b330c5ecf72da9{}", payment.payment),
            ),
            ("app_id", self.app_id.clone()),
            ("auth_app_id", self.app_id.clone()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("trade_no", payment.payment.clone()),
            ("out_trade_no", payment.order_ref.clone()),
            ("buyer_id", "2088102122524333".into()),
            ("buyer_logon_id", "158****1562".into()),
            ("seller_id", "2088101106499364".into()),
            ("trade_status", "TRADE_SUCCESS".into()),
            ("total_amount", amount.clone()),
            ("receipt_amount", amount.clone()),
            ("buyer_pay_amount", amount.clone()),
            ("invoice_amount", amount),
            ("gmt_payment", alipay_time(payment.paid_at)),
            ("subject", "paybridge 沙箱 / sandbox".into()),
        ];
        if let Some(sns) = &self.certificates {
            params.push(("alipay_cert_sn", sns.alipay_cert_sn.clone()));
        }
        let body = self.notification(&params).ok()?;
        Some(OutgoingNotification {
            url,
            body,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            headers: Vec::new(),
            acknowledged,
        })
    }

    fn auth_code_prefix(&self) -> Option<&'static str> {
        Some("28")
    }

    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<OutgoingNotification> {
        let url = entry.callback_url.clone()?;
        if entry.status != RefundState::Succeeded {
            return None;
        }
        let now = host.now();
        let refunded = payment.refunded_minor();
        let trade_status = if refunded >= payment.amount_minor {
            "TRADE_CLOSED"
        } else {
            "TRADE_SUCCESS"
        };
        let mut params: Vec<(&str, String)> = vec![
            ("notify_time", alipay_time(now)),
            ("notify_type", "trade_status_sync".into()),
            (
                "notify_id",
                format!(
                    "ac05099524730693a8b330c5ecf72da9{}",
                    entry.provider_refund_id
                ),
            ),
            ("app_id", self.app_id.clone()),
            ("charset", "utf-8".into()),
            ("version", "1.0".into()),
            ("trade_no", payment.payment.clone()),
            ("out_trade_no", payment.order_ref.clone()),
            ("out_biz_no", entry.refund_id.clone()),
            ("buyer_id", "2088102122524333".into()),
            ("seller_id", "2088101106499364".into()),
            ("trade_status", trade_status.into()),
            ("total_amount", yuan(payment.amount_minor)),
            ("refund_fee", yuan(refunded)),
            ("send_back_fee", yuan(entry.amount_minor)),
            ("gmt_refund", alipay_time(entry.completed_at.unwrap_or(now))),
            ("subject", "paybridge 沙箱 / sandbox".into()),
        ];
        if let Some(sns) = &self.certificates {
            params.push(("alipay_cert_sn", sns.alipay_cert_sn.clone()));
        }
        let body = self.notification(&params).ok()?;
        Some(OutgoingNotification {
            url,
            body,
            content_type: "application/x-www-form-urlencoded; charset=utf-8",
            headers: Vec::new(),
            acknowledged,
        })
    }

    fn acknowledgement(&self) -> Answer {
        bytes(
            200,
            "text/plain",
            crate::NOTIFICATION_ACK.as_bytes().to_vec(),
        )
    }

    fn currencies(&self) -> &'static [Currency] {
        &[Currency::Cny]
    }

    fn payment_ids(&self, n: u64) -> (String, String) {
        (format!("2026120322001{:015}", n), format!("aliorder{n:08}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slashes_are_escaped_inside_strings_and_acks_are_success() {
        assert_eq!(escape_slashes(r#"{"a":"x/y"}"#), r#"{"a":"x\/y"}"#);
        assert!(acknowledged(http::StatusCode::OK, b"success\n"));
        assert!(!acknowledged(http::StatusCode::OK, b"fail"));
        assert!(!acknowledged(
            http::StatusCode::INTERNAL_SERVER_ERROR,
            b"success"
        ));
        assert_eq!(yuan(8_888), "88.88");
    }
}
