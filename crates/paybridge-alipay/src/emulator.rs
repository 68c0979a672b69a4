//! Alipay's gateway, as its documentation describes it: refunds and their query, and
//! `alipay.trade.precreate` and `alipay.trade.query`, so a merchant's SDK can create and query
//! trades.
//!
//! Behind the `emulator` feature: paybridge's sandbox serves it at `/alipay/gateway.do`. It
//! reads the form (and the query string, where the SDK puts the `method`), checks the app, the
//! RSA2 signature over the sorted parameters it received, the certificate SNs in certificate
//! mode and the timestamp; dispatches on `method`; keeps the refund rules through the ledger;
//! answers a repeated `out_request_no` with `fund_change: "N"` (or
//! `ACQ.DISCORDANT_REPEAT_REQUEST` for another amount); shows a refund in the query only once it
//! settled (the pending window); writes its replies the way Alipay does — the value as text
//! with slashes escaped `\/`, signed over exactly that text — and posts signed async
//! notifications until answered `success`.

use paybridge_core::{Currency, Money, ProviderId, Timestamp};
use paybridge_emulator::{
    Answer, Applied, Counted, Delivery, Emulator, Host, NewRefund, Payment, RefundEntry,
    RefundState, Refusal, bytes,
};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use serde::Serialize;

use crate::codec::{SHANGHAI_OFFSET_MINUTES, alipay_time, form_decode, form_encode, sign_content};
use crate::codes;
use crate::wire::requests::{TradeRefund, TradeRefundQuery};
use crate::wire::responses::{RefundQueryResponse, Status, TradeRefundResponse};

const REFUND: &str = "alipay.trade.refund";
const REFUND_QUERY: &str = "alipay.trade.fastpay.refund.query";
const PRECREATE: &str = "alipay.trade.precreate";
const TRADE_QUERY: &str = "alipay.trade.query";

/// `alipay.trade.precreate`'s business content, as Alipay reads it.
#[derive(serde::Deserialize)]
struct PrecreateBiz {
    out_trade_no: Option<String>,
    total_amount: Option<String>,
    subject: Option<String>,
}

/// `alipay.trade.query`'s business content.
#[derive(serde::Deserialize)]
struct TradeQueryBiz {
    out_trade_no: Option<String>,
    trade_no: Option<String>,
}

#[derive(Serialize)]
struct PrecreateReply<'a> {
    code: &'static str,
    msg: &'static str,
    out_trade_no: &'a str,
    qr_code: String,
}

#[derive(Serialize)]
struct TradeQueryReply<'a> {
    code: &'static str,
    msg: &'static str,
    trade_no: &'a str,
    out_trade_no: &'a str,
    buyer_logon_id: &'static str,
    trade_status: &'static str,
    total_amount: String,
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
        }
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

    /// `alipay.trade.precreate`: a trade waiting for the buyer to scan its QR code. The same
    /// `out_trade_no` and amount again answer the same code.
    fn precreate(&self, host: &dyn Host, biz: &str) -> Answer {
        let Ok(request) = serde_json::from_str::<PrecreateBiz>(biz) else {
            return self.refuse(
                host,
                PRECREATE,
                "40002",
                "isv.invalid-parameter",
                "biz_content",
            );
        };
        let (Some(out_trade_no), Some(total), Some(_)) = (
            request
                .out_trade_no
                .filter(|o| !o.is_empty() && o.len() <= 64),
            request.total_amount,
            request.subject.filter(|s| !s.is_empty()),
        ) else {
            return self.refuse(
                host,
                PRECREATE,
                "40002",
                "isv.missing-parameter",
                "out_trade_no, total_amount and subject are required",
            );
        };
        let Some(amount) = Money::parse(&total, Currency::Cny)
            .ok()
            .filter(|a| a.minor > 0)
        else {
            return self.refuse(
                host,
                PRECREATE,
                "40002",
                "isv.invalid-parameter",
                "total_amount",
            );
        };
        fn reply(payment: &Payment) -> PrecreateReply<'_> {
            PrecreateReply {
                code: codes::SUCCESS,
                msg: "Success",
                out_trade_no: &payment.order_ref,
                qr_code: format!("https://qr.alipay.com/bax0{}", payment.payment),
            }
        }
        if let Some(existing) = host
            .ledger()
            .payment_summary(ProviderId::Alipay, &out_trade_no)
        {
            return if existing.paid {
                self.refuse(
                    host,
                    PRECREATE,
                    "40004",
                    "ACQ.TRADE_HAS_SUCCESS",
                    "交易已被支付",
                )
            } else if existing.amount_minor != amount.minor {
                self.refuse(
                    host,
                    PRECREATE,
                    "40004",
                    "ACQ.CONTEXT_INCONSISTENT",
                    "交易信息被篡改",
                )
            } else {
                self.answer(PRECREATE, &reply(&existing))
            };
        }
        let n = host.ledger().next_number();
        let (trade_no, _) = self.payment_ids(n);
        let payment = Payment::awaiting_payment(
            ProviderId::Alipay,
            trade_no,
            out_trade_no,
            amount.minor,
            Currency::Cny,
            host.now(),
        );
        match host.ledger().add_payment(payment) {
            Ok(payment) => self.answer(PRECREATE, &reply(&payment)),
            Err(_) => self.refuse(
                host,
                PRECREATE,
                "40004",
                "ACQ.CONTEXT_INCONSISTENT",
                "交易信息被篡改",
            ),
        }
    }

    /// `alipay.trade.query`. A precreated trade the buyer has not scanned does not exist yet at
    /// Alipay: it answers `ACQ.TRADE_NOT_EXIST` until then.
    fn trade_query(&self, host: &dyn Host, biz: &str) -> Answer {
        let Ok(request) = serde_json::from_str::<TradeQueryBiz>(biz) else {
            return self.refuse(
                host,
                TRADE_QUERY,
                "40002",
                "isv.invalid-parameter",
                "biz_content",
            );
        };
        let Some(reference) = request.trade_no.or(request.out_trade_no) else {
            return self.refuse(
                host,
                TRADE_QUERY,
                "40002",
                "isv.missing-parameter",
                "trade_no or out_trade_no",
            );
        };
        let Some(payment) = host
            .ledger()
            .payment_summary(ProviderId::Alipay, &reference)
            .filter(|p| p.paid || p.closed)
        else {
            return self.refuse(
                host,
                TRADE_QUERY,
                "40004",
                codes::TRADE_NOT_EXIST,
                "交易不存在",
            );
        };
        let trade_status = if payment.closed || payment.refunded_minor() >= payment.amount_minor {
            "TRADE_CLOSED"
        } else {
            "TRADE_SUCCESS"
        };
        self.answer(
            TRADE_QUERY,
            &TradeQueryReply {
                code: codes::SUCCESS,
                msg: "Success",
                trade_no: &payment.payment,
                out_trade_no: &payment.order_ref,
                buyer_logon_id: "158****1562",
                trade_status,
                total_amount: yuan(payment.amount_minor),
            },
        )
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
        let Some(payment) = host.ledger().payment_summary(ProviderId::Alipay, &trade) else {
            return self.refuse(
                host,
                REFUND_QUERY,
                "40004",
                codes::TRADE_NOT_EXIST,
                "交易不存在",
            );
        };
        let found = host
            .ledger()
            .refund(ProviderId::Alipay, &query.out_request_no)
            .filter(|(p, _)| p.payment == payment.payment);
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
        if let Some((_, entry)) = found
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

/// Whether a merchant's answer acknowledges a notification, Alipay's way: the text `success`.
fn acknowledged(status: http::StatusCode, body: &[u8]) -> bool {
    status.is_success() && body.trim_ascii() == crate::NOTIFICATION_ACK.as_bytes()
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
        if path != "/gateway.do" || request.method != http::Method::POST {
            return bytes(404, "text/plain", b"not found".to_vec());
        }
        let query = request.uri.query().unwrap_or_default().as_bytes();
        let (Ok(mut params), Ok(form)) = (form_decode(query), form_decode(body)) else {
            return self.refuse(host, "", "40002", "isv.invalid-parameter", "not a form");
        };
        params.extend(form);
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let method = get("method").unwrap_or_default().to_owned();
        let reply_to = if matches!(
            method.as_str(),
            REFUND | REFUND_QUERY | PRECREATE | TRADE_QUERY
        ) {
            method.as_str()
        } else {
            ""
        };
        if get("app_id") != Some(self.app_id.as_str()) {
            return self.refuse(
                host,
                reply_to,
                "40002",
                "isv.invalid-app-id",
                "无效的AppID参数",
            );
        }
        if get("sign_type") != Some("RSA2") {
            return self.refuse(
                host,
                reply_to,
                "40002",
                "isv.invalid-signature-type",
                "sign_type must be RSA2",
            );
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
            return self.refuse(host, reply_to, "40002", "isv.invalid-signature", "验签出错");
        }
        if let Some(sns) = &self.certificates {
            if get("app_cert_sn") != Some(sns.app_cert_sn.as_str()) {
                return self.refuse(
                    host,
                    reply_to,
                    "40002",
                    "isv.app-cert-sn-mismatch",
                    "app_cert_sn",
                );
            }
            if get("alipay_root_cert_sn") != Some(sns.alipay_root_cert_sn.as_str()) {
                return self.refuse(
                    host,
                    reply_to,
                    "40002",
                    "isv.root-cert-sn-mismatch",
                    "alipay_root_cert_sn",
                );
            }
        }
        let fresh = get("timestamp")
            .and_then(|t| Timestamp::parse_local(t, SHANGHAI_OFFSET_MINUTES).ok())
            .is_some_and(|t| {
                (host.now().unix_seconds() - t.unix_seconds()).abs() <= host.timestamp_window_secs()
            });
        if !fresh {
            return self.refuse(
                host,
                reply_to,
                "40002",
                "isv.invalid-timestamp",
                "timestamp",
            );
        }
        let biz = get("biz_content").unwrap_or_default().to_owned();
        match method.as_str() {
            REFUND => self.refund(host, &biz, get("notify_url")),
            REFUND_QUERY => self.query(host, &biz),
            PRECREATE => self.precreate(host, &biz),
            TRADE_QUERY => self.trade_query(host, &biz),
            _ => self.refuse(host, "", "40002", "isv.invalid-method", "不存在的方法名"),
        }
    }

    fn refund_notification(
        &self,
        host: &dyn Host,
        payment: &Payment,
        entry: &RefundEntry,
    ) -> Option<Delivery> {
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
        Some(Delivery {
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
