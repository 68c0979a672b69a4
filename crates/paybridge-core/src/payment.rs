//! The unified payment model: what a merchant asks a provider to collect, how the customer is
//! to pay (the [`Scene`]), what the merchant shows them (the [`PaymentAction`]), and what the
//! provider says became of it ([`Payment`]).
//!
//! The merchant's order reference is the payment's idempotency key, as the refund id is a
//! refund's: every retry of a creation carries it, an unknown outcome is settled by looking it
//! up, and nothing in paybridge ever creates a second payment under a new reference on its own.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::barcode::BarcodePolicy;
use crate::ids::check_id;
use crate::{Error, MAX_URL_LEN, Money, OrderRef, PaymentRef, PaymentStatus, Timestamp};

/// The longest payment description accepted, in characters (WeChat Pay's `description` is the
/// tightest at 127; Alipay's `subject` allows 256).
pub const MAX_DESCRIPTION_LEN: usize = 127;
/// The longest payer id or barcode authorization code accepted.
pub const MAX_PAYER_LEN: usize = 128;
/// The shortest wait for a barcode payment's buyer: one look-up's worth.
pub const MIN_BARCODE_DEADLINE: Duration = Duration::from_secs(1);
/// The longest wait for a barcode payment's buyer (a payment code itself lives about a minute;
/// the buyer's confirmation rarely takes more than a few).
pub const MAX_BARCODE_DEADLINE: Duration = Duration::from_secs(600);

/// How the customer pays: the scene decides what the provider is asked for and what the merchant
/// shows in return.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Scene {
    /// The customer scans a code the merchant shows (WeChat Pay Native, Alipay precreate,
    /// dynamic QR).
    Qr,
    /// A desktop browser is redirected to the provider's cashier page.
    Web {
        /// Where the provider sends the browser back to afterwards.
        return_url: Option<String>,
    },
    /// A mobile browser outside the provider's app (H5).
    Wap {
        /// Where the provider sends the browser back to afterwards.
        return_url: Option<String>,
    },
    /// The merchant's own mobile app, through the provider's SDK: the answer is the signed
    /// parameters the SDK takes.
    App,
    /// Inside the provider's own app or a mini-program (WeChat JSAPI, Alipay JSAPI): the payer
    /// is named by their id at the merchant's app.
    Jsapi {
        /// The payer (WeChat `openid`, Alipay `buyer_open_id`).
        payer: String,
    },
    /// The merchant scans the customer's payment code: money may move at once, or after the
    /// customer confirms on their phone.
    Barcode {
        /// The code scanned from the customer's phone.
        auth_code: String,
    },
}

// The authorization code is a bearer instrument for a few minutes: keep it out of logs.
impl fmt::Debug for Scene {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scene::Qr => f.write_str("Qr"),
            Scene::Web { return_url } => f
                .debug_struct("Web")
                .field("return_url", return_url)
                .finish(),
            Scene::Wap { return_url } => f
                .debug_struct("Wap")
                .field("return_url", return_url)
                .finish(),
            Scene::App => f.write_str("App"),
            Scene::Jsapi { payer } => f.debug_struct("Jsapi").field("payer", payer).finish(),
            Scene::Barcode { .. } => f
                .debug_struct("Barcode")
                .field("auth_code", &"<redacted>")
                .finish(),
        }
    }
}

impl Scene {
    /// The scene's kind, without its data.
    pub fn kind(&self) -> SceneKind {
        match self {
            Scene::Qr => SceneKind::Qr,
            Scene::Web { .. } => SceneKind::Web,
            Scene::Wap { .. } => SceneKind::Wap,
            Scene::App => SceneKind::App,
            Scene::Jsapi { .. } => SceneKind::Jsapi,
            Scene::Barcode { .. } => SceneKind::Barcode,
        }
    }

    /// The return URL of a web or wap scene.
    pub fn return_url(&self) -> Option<&str> {
        match self {
            Scene::Web { return_url } | Scene::Wap { return_url } => return_url.as_deref(),
            _ => None,
        }
    }
}

/// A scene's name alone: what providers declare they support, and what the command line takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SceneKind {
    /// [`Scene::Qr`].
    Qr,
    /// [`Scene::Web`].
    Web,
    /// [`Scene::Wap`].
    Wap,
    /// [`Scene::App`].
    App,
    /// [`Scene::Jsapi`].
    Jsapi,
    /// [`Scene::Barcode`].
    Barcode,
}

impl SceneKind {
    /// Every scene, in the order the command line lists them.
    pub const ALL: [SceneKind; 6] = [
        SceneKind::Qr,
        SceneKind::Web,
        SceneKind::Wap,
        SceneKind::App,
        SceneKind::Jsapi,
        SceneKind::Barcode,
    ];

    /// The scene's lower-case name (`"qr"`, `"barcode"`…).
    pub const fn as_str(self) -> &'static str {
        match self {
            SceneKind::Qr => "qr",
            SceneKind::Web => "web",
            SceneKind::Wap => "wap",
            SceneKind::App => "app",
            SceneKind::Jsapi => "jsapi",
            SceneKind::Barcode => "barcode",
        }
    }

    /// The scene named `name`, if any.
    pub fn parse(name: &str) -> Option<SceneKind> {
        SceneKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for SceneKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The customer as a provider may ask the merchant to name them (BluePay's WebPay requires a
/// name, e-mail and mobile number). `Debug` shows the name only: contact details stay out of
/// logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Customer {
    /// Full name.
    pub name: String,
    /// E-mail address.
    pub email: String,
    /// Mobile number, in the provider's local format.
    pub mobile: String,
}

impl fmt::Debug for Customer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Customer")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A request to collect a payment, validated at construction: a positive amount, bounded
/// free-text fields, URLs that are absolute http(s), a scene whose data is present.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    order_ref: OrderRef,
    amount: Money,
    scene: Scene,
    description: Option<String>,
    notify_url: Option<String>,
    expires_at: Option<Timestamp>,
    client_ip: Option<String>,
    barcode_deadline: Option<Duration>,
    customer: Option<Customer>,
}

impl PaymentRequest {
    /// Starts a request for `amount` under the merchant's `order_ref`, paid in `scene`.
    pub fn builder(order_ref: OrderRef, amount: Money, scene: Scene) -> PaymentRequestBuilder {
        PaymentRequestBuilder {
            request: PaymentRequest {
                order_ref,
                amount,
                scene,
                description: None,
                notify_url: None,
                expires_at: None,
                client_ip: None,
                barcode_deadline: None,
                customer: None,
            },
        }
    }

    /// The merchant's order reference: the idempotency key.
    pub fn order_ref(&self) -> &OrderRef {
        &self.order_ref
    }
    /// The amount to collect (positive).
    pub fn amount(&self) -> Money {
        self.amount
    }
    /// How the customer pays.
    pub fn scene(&self) -> &Scene {
        &self.scene
    }
    /// What the customer sees the payment as (defaults to the order reference where a provider
    /// requires one).
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    /// The description, or the order reference when none was given (Alipay requires a
    /// `subject`, WeChat Pay a `description`).
    pub fn description_or_order_ref(&self) -> &str {
        self.description
            .as_deref()
            .unwrap_or_else(|| self.order_ref.as_str())
    }
    /// Where the provider should send the payment's notification.
    pub fn notify_url(&self) -> Option<&str> {
        self.notify_url.as_deref()
    }
    /// When an unpaid payment stops being payable.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }
    /// The payer's IP address (WeChat Pay H5 requires it).
    pub fn client_ip(&self) -> Option<&str> {
        self.client_ip.as_deref()
    }
    /// The customer, where the merchant named them.
    pub fn customer(&self) -> Option<&Customer> {
        self.customer.as_ref()
    }
    /// How a barcode payment waits for the buyer: the deadline given, or
    /// [`BarcodePolicy::default`] (30 s, looking every 5 s).
    pub fn barcode_policy(&self) -> BarcodePolicy {
        self.barcode_deadline
            .map_or_else(BarcodePolicy::default, BarcodePolicy::for_deadline)
    }
}

/// Builds a [`PaymentRequest`]; [`PaymentRequestBuilder::build`] validates.
#[derive(Clone, Debug)]
#[must_use]
pub struct PaymentRequestBuilder {
    request: PaymentRequest,
}

fn check_url(field: &'static str, url: &str) -> Result<(), Error> {
    check_id(field, url, MAX_URL_LEN)?;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::invalid(field, "must be an absolute http(s) URL"));
    }
    Ok(())
}

impl PaymentRequestBuilder {
    /// What the customer sees the payment as.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.request.description = Some(description.into());
        self
    }
    /// Where the provider should send the notification. It overrides the account's
    /// configured `notify_url` for this payment (a `paybridge.toml` the sandbox writes points
    /// it at the sandbox's own sink, so a receiver of your own needs it here or in the config).
    pub fn notify_url(mut self, url: impl Into<String>) -> Self {
        self.request.notify_url = Some(url.into());
        self
    }
    /// When an unpaid payment stops being payable.
    pub fn expires_at(mut self, at: Timestamp) -> Self {
        self.request.expires_at = Some(at);
        self
    }
    /// The payer's IP address.
    pub fn client_ip(mut self, ip: impl Into<String>) -> Self {
        self.request.client_ip = Some(ip.into());
        self
    }
    /// Names the customer, for providers that ask for them.
    pub fn customer(mut self, customer: Customer) -> Self {
        self.request.customer = Some(customer);
        self
    }
    /// How long a barcode payment waits for the buyer to confirm before it is cancelled.
    pub fn barcode_deadline(mut self, deadline: Duration) -> Self {
        self.request.barcode_deadline = Some(deadline);
        self
    }

    /// Validates the request.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the field at fault.
    pub fn build(self) -> Result<PaymentRequest, Error> {
        let request = self.request;
        if !request.amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("must be greater than zero, got {}", request.amount),
            ));
        }
        if let Some(description) = &request.description {
            let len = description.chars().count();
            if len == 0 || len > MAX_DESCRIPTION_LEN {
                return Err(Error::invalid(
                    "description",
                    format!("is {len} characters long; 1 to {MAX_DESCRIPTION_LEN} are accepted"),
                ));
            }
            if description.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "description",
                    "contains a control character",
                ));
            }
        }
        if let Some(url) = &request.notify_url {
            check_url("notify_url", url)?;
        }
        if let Some(ip) = &request.client_ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            return Err(Error::invalid(
                "client_ip",
                "is not an IPv4 or IPv6 address",
            ));
        }
        if let Some(customer) = &request.customer {
            check_id("customer name", &customer.name, MAX_PAYER_LEN)?;
            check_id("customer email", &customer.email, MAX_PAYER_LEN)?;
            if !customer.email.contains('@') {
                return Err(Error::invalid("customer_email", "is not an e-mail address"));
            }
            check_id("customer mobile", &customer.mobile, 32)?;
        }
        if let Some(deadline) = request.barcode_deadline
            && !(MIN_BARCODE_DEADLINE..=MAX_BARCODE_DEADLINE).contains(&deadline)
        {
            return Err(Error::invalid(
                "barcode_deadline",
                format!(
                    "must be {} s to {} s, not {} ms",
                    MIN_BARCODE_DEADLINE.as_secs(),
                    MAX_BARCODE_DEADLINE.as_secs(),
                    deadline.as_millis()
                ),
            ));
        }
        match &request.scene {
            Scene::Web { return_url } | Scene::Wap { return_url } => {
                if let Some(url) = return_url {
                    check_url("return_url", url)?;
                }
            }
            Scene::Jsapi { payer } => check_id("payer", payer, MAX_PAYER_LEN)?,
            Scene::Barcode { auth_code } => {
                // Every wallet's payment code is 10 to 32 digits (WeChat 18, Alipay 16-24).
                if !(10..=32).contains(&auth_code.len())
                    || !auth_code.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(Error::invalid("auth_code", "must be 10 to 32 digits"));
                }
            }
            Scene::Qr | Scene::App => {}
        }
        Ok(request)
    }
}

/// What the merchant shows the customer once a payment is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PaymentAction {
    /// Show a QR code with this content.
    Qr {
        /// What the code encodes (usually a URL).
        content: String,
    },
    /// Send the browser to this URL.
    Redirect {
        /// The URL.
        url: String,
    },
    /// Serve this HTML: a form that submits itself to the provider.
    Form {
        /// The page.
        html: String,
    },
    /// Hand these signed parameters to the provider's SDK (in the app, the mini-program, the
    /// provider's in-app browser).
    Sdk {
        /// The parameters, by the names the SDK takes.
        params: BTreeMap<String, String>,
    },
}

/// A payment as the provider reports it: the unified payment JSON of the command line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The provider's short name.
    pub provider: String,
    /// The merchant's order reference.
    pub order_ref: OrderRef,
    /// The provider's own id for the payment, once it has one.
    pub payment: Option<String>,
    /// The amount, as the provider reports it (checked against the request's).
    pub amount: Money,
    /// The normalized status.
    pub status: PaymentStatus,
    /// The provider's own status word, as received.
    pub provider_status: Option<String>,
    /// What to show the customer, for a payment just created and waiting for them.
    pub action: Option<PaymentAction>,
}

/// What identifies a payment for a look-up, close or cancel: the merchant's order reference,
/// with the provider's id and the amount where the caller knows them (they are checked against
/// the answer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentLookup {
    /// The merchant's order reference.
    pub order_ref: OrderRef,
    /// The provider's id for the payment.
    pub payment: Option<PaymentRef>,
    /// The amount the payment was for.
    pub amount: Option<Money>,
}

impl PaymentLookup {
    /// A look-up by order reference alone.
    pub fn new(order_ref: OrderRef) -> PaymentLookup {
        PaymentLookup {
            order_ref,
            payment: None,
            amount: None,
        }
    }
}

impl From<&PaymentRequest> for PaymentLookup {
    fn from(request: &PaymentRequest) -> PaymentLookup {
        PaymentLookup {
            order_ref: request.order_ref().clone(),
            payment: None,
            amount: Some(request.amount()),
        }
    }
}

/// A provider's answer about a payment, checked against what the merchant asked for: the order
/// reference it names and, where the merchant knows it, the amount and currency. A payment is
/// never reported as the merchant's unless the answer names this order with this amount.
///
/// # Errors
/// [`Error::IntegrityMismatch`] naming the field that differs.
pub fn check_payment(
    provider: &'static str,
    payment: Payment,
    lookup: &PaymentLookup,
) -> Result<Payment, Error> {
    if payment.order_ref != lookup.order_ref {
        return Err(Error::IntegrityMismatch {
            provider,
            field: "order_ref",
            expected: lookup.order_ref.to_string(),
            actual: payment.order_ref.to_string(),
        });
    }
    if let Some(expected) = lookup.amount
        && expected != payment.amount
    {
        return Err(Error::IntegrityMismatch {
            provider,
            field: "amount",
            expected: expected.to_string(),
            actual: payment.amount.to_string(),
        });
    }
    if let (Some(asked), Some(named)) = (&lookup.payment, &payment.payment)
        && asked.as_str() != named
    {
        return Err(Error::IntegrityMismatch {
            provider,
            field: "payment",
            expected: asked.to_string(),
            actual: named.clone(),
        });
    }
    Ok(payment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn order(s: &str) -> OrderRef {
        OrderRef::new(s).unwrap()
    }

    fn field(r: Result<PaymentRequest, Error>) -> String {
        match r.unwrap_err() {
            Error::InvalidRequest { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn refuses_bad_requests_naming_the_field() {
        let cny = |m| Money::new(m, Currency::Cny);
        let build = |scene: Scene| PaymentRequest::builder(order("o-1"), cny(100), scene);
        assert_eq!(
            field(PaymentRequest::builder(order("o"), cny(0), Scene::Qr).build()),
            "amount"
        );
        assert_eq!(
            field(build(Scene::Qr).description("x".repeat(128)).build()),
            "description"
        );
        assert_eq!(
            field(build(Scene::Qr).notify_url("ftp://x").build()),
            "notify_url"
        );
        assert_eq!(
            field(build(Scene::Qr).client_ip("not-an-ip").build()),
            "client_ip"
        );
        assert_eq!(
            field(
                build(Scene::Web {
                    return_url: Some("javascript:x".into())
                })
                .build()
            ),
            "return_url"
        );
        assert_eq!(
            field(
                build(Scene::Barcode {
                    auth_code: "28abc".into()
                })
                .build()
            ),
            "auth_code"
        );
        assert_eq!(
            field(
                build(Scene::Jsapi {
                    payer: String::new()
                })
                .build()
            ),
            "payer"
        );
        for deadline in [Duration::ZERO, Duration::from_secs(601)] {
            assert_eq!(
                field(build(Scene::Qr).barcode_deadline(deadline).build()),
                "barcode_deadline"
            );
        }
        let ok = build(Scene::Barcode {
            auth_code: "286812345678901234".into(),
        })
        .client_ip("203.0.113.9")
        .build()
        .unwrap();
        assert_eq!(ok.description_or_order_ref(), "o-1");
    }

    #[test]
    fn the_auth_code_never_reaches_debug() {
        let scene = Scene::Barcode {
            auth_code: "286812345678901234".into(),
        };
        assert!(!format!("{scene:?}").contains("2868"));
        let request = PaymentRequest::builder(order("o"), Money::new(1, Currency::Cny), scene)
            .build()
            .unwrap();
        assert!(!format!("{request:?}").contains("2868"));
    }

    #[test]
    fn scene_kinds_round_trip_their_names() {
        for kind in SceneKind::ALL {
            assert_eq!(SceneKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(SceneKind::parse("nfc"), None);
    }

    #[test]
    fn the_unified_json_has_the_documented_shape() {
        let payment = Payment {
            provider: "alipay".into(),
            order_ref: order("o-1"),
            payment: None,
            amount: Money::new(1234, Currency::Cny),
            status: PaymentStatus::Pending,
            provider_status: Some("WAIT_BUYER_PAY".into()),
            action: Some(PaymentAction::Qr {
                content: "https://qr.example/x".into(),
            }),
        };
        let json = serde_json::to_value(&payment).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "provider": "alipay", "order_ref": "o-1", "payment": null,
                "amount": {"minor": 1234, "currency": "CNY"}, "status": "pending",
                "provider_status": "WAIT_BUYER_PAY",
                "action": {"kind": "qr", "content": "https://qr.example/x"}
            })
        );
    }

    #[test]
    fn an_answer_about_another_order_or_amount_is_not_ours() {
        let payment = Payment {
            provider: "wechatpay".into(),
            order_ref: order("o-2"),
            payment: Some("42".into()),
            amount: Money::new(100, Currency::Cny),
            status: PaymentStatus::Succeeded,
            provider_status: None,
            action: None,
        };
        let mut lookup = PaymentLookup::new(order("o-1"));
        assert!(check_payment("wechatpay", payment.clone(), &lookup).is_err());
        lookup.order_ref = order("o-2");
        lookup.amount = Some(Money::new(101, Currency::Cny));
        assert!(matches!(
            check_payment("wechatpay", payment.clone(), &lookup),
            Err(Error::IntegrityMismatch {
                field: "amount",
                ..
            })
        ));
        lookup.amount = Some(Money::new(100, Currency::Cny));
        assert!(check_payment("wechatpay", payment, &lookup).is_ok());
    }
}
