//! Fixtures shared by the benchmarks: the payloads, deliberately declared with their fields out of
//! sorted order so that canonicalization has real work to do.
#![forbid(unsafe_code)]

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// BluePay's refund `param` (the seed's fields, in the seed's order — not sorted), plus optional
/// order lines to grow the document to the 4 KiB and 64 KiB sizes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundDocument {
    /// The payment refunded.
    pub original_transaction_id: String,
    /// The merchant's refund id.
    pub mch_refund_order_id: String,
    /// Satang.
    pub refund_amount: i64,
    /// Shown to the customer.
    pub refund_reason: String,
    /// Where the notification goes.
    pub refund_callback_url: String,
    /// Unix seconds.
    pub timestamp: i64,
    /// Order lines (absent in the `small` document).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub lines: Vec<OrderLine>,
}

/// A nested object with non-ASCII and escaped strings, arrays and integers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderLine {
    /// SKU.
    pub sku: String,
    /// Product name, in Thai or Chinese with punctuation that needs escaping.
    pub name: String,
    /// Units.
    pub quantity: u32,
    /// Minor units.
    pub unit_price: i64,
    /// Tags.
    pub tags: Vec<String>,
    /// Nested detail.
    pub attributes: Attributes,
}

/// Deeper nesting.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attributes {
    /// Colour name.
    pub colour: String,
    /// Weight in grams.
    pub weight_grams: u32,
    /// A note with quotes, backslashes and a newline.
    pub note: String,
    /// Whether it is a gift.
    pub gift: bool,
}

/// The seed's refund `param` (≈190 bytes canonical).
pub fn small_document() -> RefundDocument {
    RefundDocument {
        original_transaction_id: "CU518563189147832780".into(),
        mch_refund_order_id: "refund488455057142".into(),
        refund_amount: 10_000,
        refund_reason: "testRefund".into(),
        refund_callback_url: "http://www.test.com".into(),
        timestamp: 1_722_415_059,
        lines: Vec::new(),
    }
}

/// The refund document grown with order lines until its canonical form reaches `target_bytes`.
pub fn document_of_size(target_bytes: usize) -> RefundDocument {
    let mut doc = small_document();
    let mut i = 0u32;
    while serde_json::to_vec(&doc).map_or(0, |v| v.len()) < target_bytes {
        doc.lines.push(OrderLine {
            sku: format!("SKU-{i:05}"),
            name: if i.is_multiple_of(2) {
                format!("ชาไทย \"พิเศษ\" #{i}")
            } else {
                format!("乌龙茶/礼盒 {i}号")
            },
            quantity: i % 7 + 1,
            unit_price: i64::from(i) * 125 + 99,
            tags: vec!["tea".into(), "gift\twrap".into(), "€".into()],
            attributes: Attributes {
                colour: "เขียว".into(),
                weight_grams: 250 + i,
                note: "say \"hi\" \\ then\nleave".into(),
                gift: i.is_multiple_of(3),
            },
        });
        i += 1;
    }
    doc
}

/// [`RefundDocument`] declared the way a wire type should be: fields in RFC 8785 order (UTF-16
/// order of their JSON names), so that serde hands them to the canonical writer already sorted
/// and it writes them straight through. `canonical::check_declared_order` is the test that keeps
/// a wire type so declared.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortedRefundDocument {
    /// Order lines (absent in the `small` document).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub lines: Vec<SortedOrderLine>,
    /// The merchant's refund id.
    pub mch_refund_order_id: String,
    /// The payment refunded.
    pub original_transaction_id: String,
    /// Satang.
    pub refund_amount: i64,
    /// Where the notification goes.
    pub refund_callback_url: String,
    /// Shown to the customer.
    pub refund_reason: String,
    /// Unix seconds.
    pub timestamp: i64,
}

/// [`OrderLine`] in canonical order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortedOrderLine {
    /// Nested detail.
    pub attributes: SortedAttributes,
    /// Product name.
    pub name: String,
    /// Units.
    pub quantity: u32,
    /// SKU.
    pub sku: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Minor units.
    pub unit_price: i64,
}

/// [`Attributes`] in canonical order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortedAttributes {
    /// Colour name.
    pub colour: String,
    /// Whether it is a gift.
    pub gift: bool,
    /// A note with quotes, backslashes and a newline.
    pub note: String,
    /// Weight in grams.
    pub weight_grams: u32,
}

impl From<&RefundDocument> for SortedRefundDocument {
    fn from(doc: &RefundDocument) -> SortedRefundDocument {
        SortedRefundDocument {
            lines: doc
                .lines
                .iter()
                .map(|line| SortedOrderLine {
                    attributes: SortedAttributes {
                        colour: line.attributes.colour.clone(),
                        gift: line.attributes.gift,
                        note: line.attributes.note.clone(),
                        weight_grams: line.attributes.weight_grams,
                    },
                    name: line.name.clone(),
                    quantity: line.quantity,
                    sku: line.sku.clone(),
                    tags: line.tags.clone(),
                    unit_price: line.unit_price,
                })
                .collect(),
            mch_refund_order_id: doc.mch_refund_order_id.clone(),
            original_transaction_id: doc.original_transaction_id.clone(),
            refund_amount: doc.refund_amount,
            refund_callback_url: doc.refund_callback_url.clone(),
            refund_reason: doc.refund_reason.clone(),
            timestamp: doc.timestamp,
        }
    }
}

/// A refund notification `param` as BluePay sends it (fields in its order).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundNotificationParam {
    /// `payment.refund.success` and friends.
    pub event_name: String,
    /// The merchant's refund id.
    pub mch_refund_order_id: String,
    /// BluePay's refund id.
    pub refund_transaction_id: String,
    /// The payment.
    pub original_transaction_id: String,
    /// Satang.
    pub refund_amount: i64,
    /// Fee returned.
    pub fee_refunded: i64,
    /// `COMPLETE`…
    pub refund_status: String,
    /// Bangkok time.
    pub refund_create_time: String,
    /// Bangkok time.
    pub refund_return_time: String,
    /// Reason.
    pub refund_reason: String,
}

/// A ScanForPay refund request envelope's `request` value.
#[derive(Clone, Debug, Serialize)]
pub struct ScanForPayRequest {
    /// Header.
    pub header: ScanForPayHeader,
    /// Body.
    pub body: ScanForPayRefundBody,
}

/// ScanForPay request header (declared out of order).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanForPayHeader {
    /// "1.0".
    pub version: String,
    /// Partner number.
    pub partner_no: String,
    /// Unique message id.
    pub req_msg_id: String,
    /// RFC 3339.
    pub req_time: String,
    /// "SHA256".
    pub sign_type: String,
}

/// ScanForPay refund body (declared out of order).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanForPayRefundBody {
    /// Merchant order number.
    pub partner_order_no: String,
    /// Merchant refund number.
    pub refund_no: String,
    /// Minor units.
    pub order_amount: i64,
    /// Operator.
    pub operator_id: String,
    /// Terminal.
    pub terminal_no: String,
}

/// The seed's ScanForPay refund request.
pub fn scanforpay_refund() -> ScanForPayRequest {
    ScanForPayRequest {
        header: ScanForPayHeader {
            version: "1.0".into(),
            partner_no: "10001".into(),
            req_msg_id: "fd03f269318045758af08f6cf324fb0f".into(),
            req_time: "2018-07-25T18:06:05+08:00".into(),
            sign_type: "SHA256".into(),
        },
        body: ScanForPayRefundBody {
            partner_order_no: "p20180725180605466813".into(),
            refund_no: "201807251800023".into(),
            order_amount: 100,
            operator_id: "211918".into(),
            terminal_no: "123456".into(),
        },
    }
}

/// The key ScanForPay's signing measurements hash with.
pub const SCANFORPAY_KEY: &str = "0123456789abcdef0123456789abcdef";

/// ScanForPay's codec with [`SCANFORPAY_KEY`], and the seed's refund as its wire body: what
/// the signing measurements sign.
///
/// # Panics
/// Never: the codec's settings are fixed and valid.
#[allow(clippy::unwrap_used, reason = "fixed, valid settings")]
pub fn scanforpay_codec() -> (
    paybridge_scanforpay::Codec,
    paybridge_scanforpay::wire::requests::RefundBody,
) {
    let codec = paybridge_scanforpay::Codec::new(
        "https://pay.scanforpay.com",
        "10001",
        paybridge_sign::SecretString::new(SCANFORPAY_KEY),
    )
    .unwrap();
    let fixture = scanforpay_refund();
    let mut body = paybridge_scanforpay::wire::requests::RefundBody::new(
        fixture.body.order_amount,
        fixture.body.partner_order_no,
        fixture.body.refund_no,
    );
    body.operator_id = Some(fixture.body.operator_id);
    body.terminal_no = Some(fixture.body.terminal_no);
    (codec, body)
}

/// A test key from paybridge-sign's fixtures.
pub fn test_key(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/paybridge-sign/tests/data/keys")
        .join(name);
    std::fs::read(&path).unwrap_or_default()
}

/// The seed's refund as BluePay's wire type (what the signing benchmarks sign).
pub fn bluepay_refund() -> paybridge_bluepay::wire::requests::RefundParam {
    let doc = small_document();
    let mut value = paybridge_bluepay::wire::requests::RefundParam::new(
        doc.original_transaction_id,
        doc.mch_refund_order_id,
        doc.refund_amount,
        doc.refund_callback_url,
    );
    value.refund_reason = Some(doc.refund_reason);
    value
}

impl RefundNotificationParam {
    /// The refund notification the verifying benchmarks verify.
    pub fn sample() -> RefundNotificationParam {
        RefundNotificationParam {
            event_name: "payment.refund.success".into(),
            mch_refund_order_id: "refund488455057142".into(),
            refund_transaction_id: "1818566685947728".into(),
            original_transaction_id: "CU518563189147832780".into(),
            refund_amount: 10_000,
            fee_refunded: 0,
            refund_status: "COMPLETE".into(),
            refund_create_time: "2024-07-31 16:37:40".into(),
            refund_return_time: "2024-07-31 16:38:02".into(),
            refund_reason: "testRefund".into(),
        }
    }
}

/// WeChat Pay's fixtures: a codec in public-key mode over the test keys, the refund it signs,
/// and a notification signed and encrypted the way WeChat Pay writes them.
#[allow(
    clippy::panic,
    reason = "fixtures for benchmarks: a fixture that cannot be built ends the run, loudly"
)]
pub mod wechatpay {
    use paybridge_sign::{Aes256GcmKey, Backend, RsaPrivateKey, RsaPublicKey, SecretString};
    use paybridge_wechatpay::wire::requests::CreateRefundRequest;
    use paybridge_wechatpay::{Codec, PlatformKeys, verification_message};

    use super::test_key;

    /// The APIv3 key (a test key).
    pub const APIV3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    /// When the notification was signed (and is verified).
    pub const NOW: i64 = 1_796_300_000;
    /// The public key's id.
    pub const KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
    /// The notification's resource nonce.
    pub const NONCE: &str = "fdasflkja484";

    /// The merchant's and WeChat Pay's keys (the same test pair: it only changes who signs).
    pub fn keys(backend: Backend) -> (RsaPrivateKey, RsaPublicKey) {
        (
            RsaPrivateKey::from_bytes_with(backend, &test_key("rsa2048.pkcs8.pem"))
                .unwrap_or_else(|e| panic!("{e}")),
            RsaPublicKey::from_bytes_with(backend, &test_key("rsa2048.spki.pem"))
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    /// The production codec.
    pub fn codec(backend: Backend) -> Codec {
        let (private, public) = keys(backend);
        Codec::new(
            "https://api.mch.weixin.qq.com",
            "1900000109",
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            private,
            PlatformKeys::public_key(KEY_ID, public).unwrap_or_else(|e| panic!("{e}")),
            &SecretString::new(APIV3_KEY),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The documented example refund.
    pub fn refund() -> CreateRefundRequest {
        let mut refund = CreateRefundRequest::by_transaction_id(
            "1217752501201407033233368018",
            "1217752501201407033233368018",
            888,
            888,
        );
        refund.reason = Some("商品已售完".into());
        refund.notify_url = Some("https://weixin.qq.com".into());
        refund
    }

    /// The documented refund notification's plaintext.
    pub const PLAINTEXT: &str = r#"{"mchid":"1900000100","transaction_id":"1008450740201411110005820873","out_trade_no":"20150806125346","refund_id":"50200207182018070300011301001","out_refund_no":"7752501201407033233368018","refund_status":"SUCCESS","success_time":"2018-06-08T10:34:56+08:00","user_received_account":"招商银行信用卡0403","amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}}"#;

    /// A notification as WeChat Pay posts it: its headers (timestamp, nonce, signature, serial)
    /// and its body, the resource sealed under the APIv3 key; plus, for the bare baseline, the
    /// verification message, the raw signature and the sealed bytes.
    pub struct Notification {
        /// The `Wechatpay-*` headers.
        pub headers: http::HeaderMap,
        /// The body.
        pub body: Vec<u8>,
        /// `TIMESTAMP\nNONCE\nBODY\n`.
        pub message: Vec<u8>,
        /// The signature's bytes.
        pub signature: Vec<u8>,
        /// The resource's ciphertext with its tag.
        pub sealed: Vec<u8>,
    }

    /// The notification, signed with `backend`'s key.
    pub fn notification(backend: Backend) -> Notification {
        let (private, _) = keys(backend);
        let key = Aes256GcmKey::new(APIV3_KEY.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let sealed = key
            .seal(NONCE.as_bytes(), b"refund", PLAINTEXT.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let body = serde_json::to_vec(&serde_json::json!({
            "id": "EV-2018022511223320873",
            "create_time": "2018-06-08T10:34:56+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "REFUND.SUCCESS",
            "summary": "退款成功",
            "resource": {
                "original_type": "refund",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": paybridge_sign::base64_encode(&sealed),
                "associated_data": "refund",
                "nonce": NONCE,
            }
        }))
        .unwrap_or_default();
        let timestamp = NOW.to_string();
        let message = verification_message(&timestamp, "c5ac7061fccab6bf3e254dcf98995b8c", &body);
        let signature = private.sign(&message).unwrap_or_else(|e| panic!("{e}"));
        let mut headers = http::HeaderMap::new();
        for (name, value) in [
            ("wechatpay-timestamp", timestamp),
            (
                "wechatpay-nonce",
                "c5ac7061fccab6bf3e254dcf98995b8c".to_owned(),
            ),
            (
                "wechatpay-signature",
                paybridge_sign::base64_encode(&signature),
            ),
            ("wechatpay-serial", KEY_ID.to_owned()),
        ] {
            headers.insert(
                name,
                http::HeaderValue::from_str(&value).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        Notification {
            headers,
            body,
            message,
            signature,
            sealed,
        }
    }
}

/// Alipay's fixtures: a codec in key mode over the test keys, the refund it signs, and a reply
/// written and signed the way Alipay writes them (`\/` escapes, non-ASCII as is).
#[allow(
    clippy::panic,
    reason = "fixtures for benchmarks: a fixture that cannot be built ends the run, loudly"
)]
pub mod alipay {
    use paybridge_alipay::wire::requests::TradeRefund;
    use paybridge_alipay::{AlipayKeys, Codec};
    use paybridge_sign::{Backend, RsaPrivateKey, RsaPublicKey};

    use super::test_key;

    /// When the refund is signed.
    pub const NOW: i64 = 1_796_300_000;

    /// The app's and Alipay's keys (the same test pair: it only changes who signs).
    pub fn keys(backend: Backend) -> (RsaPrivateKey, RsaPublicKey) {
        (
            RsaPrivateKey::from_bytes_with(backend, &test_key("rsa2048.pkcs8.pem"))
                .unwrap_or_else(|e| panic!("{e}")),
            RsaPublicKey::from_bytes_with(backend, &test_key("rsa2048.spki.pem"))
                .unwrap_or_else(|e| panic!("{e}")),
        )
    }

    /// The production codec.
    pub fn codec(backend: Backend) -> Codec {
        let (private, public) = keys(backend);
        Codec::new(
            "https://openapi.alipay.com",
            "2014072300007148",
            private,
            AlipayKeys::public_key(public),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The documented example refund.
    pub fn refund() -> TradeRefund {
        let mut refund = TradeRefund::by_out_trade_no("20150320010101001", "HZ01RF001", "200.12");
        refund.refund_reason = Some("正常退款".into());
        refund
    }

    /// The documented refund reply's value, as Alipay writes it.
    pub const RAW: &str = r#"{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","buyer_user_id":"2088101117955611","fund_change":"Y","gmt_refund_pay":"2014-11-27 15:45:57","out_trade_no":"6823789339978248","refund_fee":"88.88","send_back_fee":"88.88","store_name":"望湘园联洋店 \/ Lianyang","trade_no":"2013112011001004330000121536"}"#;

    /// The reply body, its signature's bytes.
    pub fn reply(backend: Backend) -> (Vec<u8>, Vec<u8>) {
        let (private, _) = keys(backend);
        let signature = private
            .sign(RAW.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        let body = format!(
            r#"{{"alipay_trade_refund_response":{RAW},"sign":"{}"}}"#,
            paybridge_sign::base64_encode(&signature)
        );
        (body.into_bytes(), signature)
    }
}

/// A loopback hyper server and the request both transport measurements send it: a 300-byte
/// POST answered with BluePay's documented refund reply.
#[allow(
    clippy::unwrap_used,
    reason = "measuring fixtures: a loopback port that cannot be bound stops the measurement"
)]
pub mod loopback {
    use std::convert::Infallible;
    use std::net::SocketAddr;

    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    /// What the server answers every request with.
    pub const RESPONSE: &[u8] = br#"{"code":10000,"message":"Success","data":{"mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","refundCreateTime":"2024-07-31 16:37:40","refundAmount":10000,"refundStatus":"PENDING"}}"#;

    /// Serves on a fresh loopback port, on the current runtime; its address.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn server() -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service =
                        service_fn(|request: http::Request<hyper::body::Incoming>| async move {
                            let _ = request.into_body().collect().await;
                            Ok::<_, Infallible>(http::Response::new(Full::new(Bytes::from_static(
                                RESPONSE,
                            ))))
                        });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        addr
    }

    /// A 300-byte JSON body, shaped like BluePay's envelope.
    pub fn body_300() -> Bytes {
        let mut body = String::from(r#"{"appId":"733b887a4a784708bb369524db5b6ded","param":""#);
        while body.len() < 298 {
            body.push('x');
        }
        body.push_str("\"}");
        Bytes::from(body)
    }

    /// The POST of [`body_300`] to `uri`.
    ///
    /// # Panics
    /// Never for a `uri` that parsed.
    pub fn request(uri: &http::Uri, body: &Bytes) -> http::Request<Bytes> {
        http::Request::post(uri.clone())
            .header("content-type", "application/json")
            .body(body.clone())
            .unwrap()
    }
}
