//! Runs the ScanForPay signing pipeline (`encode`, as the bench measures it) in a loop, for
//! profilers.
#![allow(clippy::unwrap_used, missing_docs, clippy::print_stdout)]
use paybridge_scanforpay::wire::requests::RefundBody;
fn main() {
    let codec = paybridge_scanforpay::Codec::new(
        "https://pay.scanforpay.com",
        "10001",
        paybridge_sign::SecretString::new("0123456789abcdef0123456789abcdef"),
    )
    .unwrap();
    let body = {
        let mut value = RefundBody::new(100, "p20180725180605466813", "201807251800023");
        value.operator_id = Some("211918".into());
        value.terminal_no = Some("123456".into());
        value
    };
    let at = paybridge_core::Timestamp::from_unix(1_532_513_165).unwrap();
    let mut n = 0;
    for _ in 0..2_000_000 {
        n += codec
            .encode_with(
                std::hint::black_box(&body),
                "fd03f269318045758af08f6cf324fb0f",
                at,
            )
            .unwrap()
            .body()
            .len();
    }
    println!("{n}");
}
