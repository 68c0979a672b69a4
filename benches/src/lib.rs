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
