//! Alipay Open Platform for paybridge: refunds (`alipay.trade.refund`,
//! `alipay.trade.fastpay.refund.query`), payments in six scenes (`alipay.trade.precreate`,
//! `page.pay`, `wap.pay`, `app.pay`, `create`, `pay`, with `query`, `close` and `cancel`) and
//! async notifications.
//!
//! Every call is a form posted to the gateway: every parameter but `sign`, empty ones dropped,
//! sorted and joined `k=v&…` with the values raw — that text signed RSA2 (SHA256withRSA) with
//! the app's key. Every reply is verified over the raw text of its `…_response` value exactly
//! as received (escaped slashes included), located by a scanner that respects strings and
//! escapes, never by re-serialising. The refund always carries the merchant's refund id as
//! `out_request_no`; a repeat answers `fund_change: "N"` and is looked up, never counted twice.
//!
//! - [`Codec`]: sans-I/O encoding and decoding (test, fuzz and benchmark it on bytes);
//!   [`member_raw`] finds a reply's signed text.
//! - [`AlipayClient`]: one async method per call over any [`paybridge_transport::Transport`],
//!   and the unified [`paybridge_core::RefundProvider`] and [`paybridge_core::PaymentProvider`].
//! - [`bills`]: the bills (statements): the download link, the unsigned download checked by
//!   the zip's CRCs, and a streaming reader of the GBK detail CSV.
//! - [`cashier`]: the orders paybridge signs and never sends (desktop and mobile web, app) —
//!   a redirect URL, a self-submitting form, the app SDK's order string.
//!
//! The crate has the anatomy every provider crate shares (`docs/provider.md`): [`config`],
//! [`wire`], [`endpoints`], the codec, [`codes`], the client, the unified provider,
//! [`validate`], and — with feature `emulator` — Alipay's own side for paybridge's sandbox.
//! Alipay's keys (key or certificate mode, with the SNs Alipay defines) are [`AlipayKeys`].
//!
//! # Example
//!
//! Open Platform, direct; CNY, written as exact yuan strings; the trade's `trade_no` or `out_trade_no`; `out_request_no` is always the refund id; in certificate mode `AlipayKeys::certificates(&app_cert, &alipay_cert, &root_bundle)` computes the SNs.
//!
//! ```no_run
//! use paybridge_core::{Currency, MerchantRefundId, Money, OrderRef, RefundProvider, RefundRequest};
//! use paybridge_alipay::{AlipayClient, AlipayConfig, AlipayKeys};
//! use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
//! use paybridge_transport::HyperTransport;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = AlipayConfig::new(
//!     "https://openapi.alipay.com",
//!     "2021000000000001",
//!     RsaPrivateKey::from_bytes(&std::fs::read("app_private_key.pem")?)?,
//!     AlipayKeys::public_key(RsaPublicKey::from_bytes(&std::fs::read("alipay_public_key.pem")?)?),
//! );
//! config.notify_url = Some("https://merchant.example/hooks/alipay".into());
//! let client = AlipayClient::new(config, HyperTransport::with_defaults()?)?;
//!
//! // The same refund code works for every provider (`RefundProvider`); retries reuse the id.
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("12.34", Currency::Cny)?)
//!     .order_ref(OrderRef::new("20150320010101001")?)
//!     .build()?;
//! let refund = client.refund(&request).await?;
//! println!("{} is {}", refund.refund_id, refund.status.as_str());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bills;
pub mod cashier;
mod client;
mod codec;
pub mod codes;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod endpoints;
mod extract;
mod keys;
mod provider;
pub mod validate;
pub mod wire;

pub use bills::{BillType, read_bill_csv, read_zip};
pub use cashier::SignedOrder;
pub use client::AlipayClient;
pub use codec::{
    AlipayCall, Codec, PROVIDER, SHANGHAI_OFFSET_MINUTES, alipay_time, form_decode, form_encode,
    sign_content,
};
pub use config::{AlipayConfig, AlipaySettings};
pub use extract::{member_raw, members_raw};
pub use keys::{AlipayKeys, cert_sn, root_cert_sn};
pub use provider::{SCENES, cashier_action, payment_from_query, unified_notification};
pub use wire::notifications::{AlipayNotification, NOTIFICATION_ACK};
pub use wire::requests::{Cashier, CashierOrder};
