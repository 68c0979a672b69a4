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
#![forbid(unsafe_code)]

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
