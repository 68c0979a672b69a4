//! WeChat Pay API v3 (direct merchant) for paybridge: payments (JSAPI / mini-program, APP, H5
//! and Native prepay, the payment query, closing an order, payment notifications), refunds,
//! refund queries and refund notifications, and the daily bills (trade and fund flow:
//! downloaded, checked against the signed SHA-1, and read by a streaming parser, [`bills`]).
//!
//! Every request is signed: SHA256withRSA with the merchant's key over
//! `METHOD\nURI\nTIMESTAMP\nNONCE\nBODY\n`, sent as the `Authorization:
//! WECHATPAY2-SHA256-RSA2048 …` header, a fresh timestamp and nonce at every attempt under the
//! same merchant number (`out_refund_no`, `out_trade_no`). Every answer and notification is
//! verified over its raw body and the four `Wechatpay-*` headers with WeChat Pay's key — a
//! configured public key (`PUB_KEY_ID_…`) or the platform certificate its serial names — and
//! refused outside a 5-minute window. Notifications carry the refund or the payment
//! AES-256-GCM-encrypted under the merchant's APIv3 key. A JSAPI or APP order is handed to the
//! payer's side as invocation parameters signed with the merchant key ([`invocation`]).
//!
//! Payments need the AppID they belong to (`appid`). Barcode payments (付款码, micropay) exist
//! only in API v2 (XML, MD5/HMAC) and are refused, as is the desktop-web scene, which WeChat
//! Pay does not offer a direct merchant (a desktop shows a Native QR code instead).
//!
//! - [`Codec`]: sans-I/O encoding and decoding (test, fuzz and benchmark it on bytes).
//! - [`WechatPayClient`]: one async method per call over any [`paybridge_transport::Transport`],
//!   and the unified [`paybridge_core::RefundProvider`] and [`paybridge_core::PaymentProvider`].
//!
//! The crate has the anatomy every provider crate shares (`docs/provider.md`): [`config`],
//! [`wire`], [`endpoints`], the codec, [`codes`], the client, the unified provider,
//! [`validate`], and — with feature `emulator` — WeChat Pay's own side for paybridge's sandbox.
//! WeChat Pay's keys (public key or platform certificates) are [`PlatformKeys`].
//!
//! # Example
//!
//! API v3, direct; CNY fen; the payment's `transaction_id` or `out_trade_no` and its total; every answer verified with WeChat Pay's public key — or, in certificate mode, `PlatformKeys::certificates_dir("certs/")` — and notifications decrypted with the APIv3 key.
//!
//! ```no_run
//! use paybridge_core::{Currency, MerchantRefundId, Money, OrderRef, RefundProvider, RefundRequest};
//! use paybridge_sign::{RsaPrivateKey, RsaPublicKey, SecretString};
//! use paybridge_transport::HyperTransport;
//! use paybridge_wechatpay::{PlatformKeys, WechatPayClient, WechatPayConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = WechatPayConfig::new(
//!     "https://api.mch.weixin.qq.com",
//!     "1900000109",
//!     "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", // the merchant API certificate's serial
//!     RsaPrivateKey::from_bytes(&std::fs::read("apiclient_key.pem")?)?,
//!     PlatformKeys::public_key(
//!         "PUB_KEY_ID_0114232134912410000000000000",
//!         RsaPublicKey::from_bytes(&std::fs::read("pub_key.pem")?)?,
//!     )?,
//!     SecretString::new(std::env::var("WECHATPAY_APIV3_KEY")?),
//! );
//! config.notify_url = Some("https://merchant.example/hooks/wechatpay".into());
//! let client = WechatPayClient::new(config, HyperTransport::with_defaults()?)?;
//!
//! // The same refund code works for every provider (`RefundProvider`); retries reuse the id.
//! let request = RefundRequest::builder(MerchantRefundId::new("refund-0001")?, Money::parse("12.34", Currency::Cny)?)
//!     .order_ref(OrderRef::new("1217752501201407033233368018")?)
//!     .total(Money::parse("88.00", Currency::Cny)?)
//!     .build()?;
//! let refund = client.refund(&request).await?;
//! println!("{} is {}", refund.refund_id, refund.status.as_str());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// On docs.rs (nightly), every feature-gated item is labelled with the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod bills;
mod client;
mod codec;
pub mod codes;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod endpoints;
pub mod invocation;
mod platform_keys;
mod provider;
pub mod validate;
pub mod wire;

pub use bills::{BillReader, read_bill};
pub use client::{Prepaid, WechatPayClient};
pub use codec::{
    AUTHORIZATION_SCHEME, Codec, MAX_SKEW_SECS, OpenedNotification, PROVIDER, SignatureHeaders,
    signing_message, verification_message,
};
pub use config::{WechatPayConfig, WechatPaySettings};
pub use platform_keys::{PUBLIC_KEY_ID_PREFIX, PlatformKeys};
pub use provider::{
    SCENES, payment_from_notification, unified_event, unified_notification,
    unified_payment_notification,
};
pub use wire::notifications::{
    NOTIFICATION_ACK, PaymentNotification, WechatPayEvent, WechatPayNotification,
};
