//! The provider examples (`examples/<provider>.rs`) run as tests: each takes a payment, refunds
//! part of it and receives the notifications against the embedded sandbox, so an example that
//! stops working fails the build instead of misleading a reader.
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::duplicate_mod,
    reason = "each example is compiled as it stands, its own `mod common;` included"
)]

// Each example is included whole; its `mod common;` resolves to `examples/common/mod.rs`.
#[path = "../examples/alipay.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "an example's `main` is not the test's"
)]
mod alipay;
#[path = "../examples/bluepay.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "an example's `main` is not the test's"
)]
mod bluepay;
#[path = "../examples/nomad.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "an example's `main` is not the test's"
)]
mod nomad;
#[path = "../examples/scanforpay.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "an example's `main` is not the test's"
)]
mod scanforpay;
#[path = "../examples/wechatpay.rs"]
#[allow(
    dead_code,
    unreachable_pub,
    reason = "an example's `main` is not the test's"
)]
mod wechatpay;

#[tokio::test(flavor = "multi_thread")]
async fn the_bluepay_example_runs() {
    bluepay::run().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_nomad_example_runs() {
    nomad::run().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scanforpay_example_runs() {
    scanforpay::run().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wechatpay_example_runs() {
    wechatpay::run().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_alipay_example_runs() {
    alipay::run().await.unwrap();
}
