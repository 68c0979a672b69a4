//! Runs the BluePay notification verify pipeline in a loop, for profilers.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]
fn main() {
    let platform = paybridge_sign::RsaPrivateKey::from_bytes(&paybridge_benches::test_key(
        "rsa2048.pkcs8.pem",
    ))
    .unwrap();
    let public =
        paybridge_sign::RsaPublicKey::from_bytes(&paybridge_benches::test_key("rsa2048.spki.pem"))
            .unwrap();
    let param = r#"{"eventName":"payment.refund.success","mchRefundOrderId":"refund488455057142","refundTransactionId":"1818566685947728","originalTransactionId":"CU518563189147832780","refundAmount":10000,"feeRefunded":0,"refundStatus":"COMPLETE","refundCreateTime":"2024-07-31 16:37:40","refundReturnTime":"2024-07-31 16:38:02","refundReason":"testRefund"}"#;
    let sign = platform.sign_base64(param.as_bytes()).unwrap();
    let body = serde_json::to_vec(&serde_json::json!({"param": param, "sign": sign})).unwrap();
    let mut n = 0;
    for _ in 0..100_000 {
        if paybridge_bluepay::verify_notification(&public, std::hint::black_box(&body)).is_ok() {
            n += 1;
        }
    }
    println!("{n}");
}
