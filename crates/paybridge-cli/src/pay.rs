//! `paybridge pay create | status | close`: one payment through the provider's payment API,
//! printed as the unified payment JSON.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand};
use paybridge::core::Customer;
use paybridge::{
    Currency, Money, OrderRef, Payment, PaymentAction, PaymentLookup, PaymentRequest,
    PaymentStatus, Scene, SceneKind,
};

use crate::commands::{known_provider, load_gateway};
use crate::exit::Failure;
use crate::output;

/// `paybridge pay` commands.
#[derive(Subcommand, Debug)]
pub(crate) enum PayCommand {
    /// Creates a payment and prints it with what to show the customer (a QR code's content, a
    /// URL, a form or SDK parameters); a barcode payment waits for the buyer up to --deadline.
    ///
    /// Example: paybridge pay create --provider wechatpay --order-ref o-1 --amount 12.34 --currency CNY --scene qr
    Create(Box<CreateArgs>),
    /// Looks a payment up by its order reference.
    ///
    /// Example: paybridge pay status --provider alipay --order-ref o-1
    Status(LookupArgs),
    /// Closes an unpaid payment so it can no longer be paid.
    ///
    /// Example: paybridge pay close --provider nomad --order-ref o-1
    Close(LookupArgs),
}

/// `paybridge pay create` options.
#[derive(Args, Debug)]
pub(crate) struct CreateArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// Your order reference: the idempotency key; reuse it to retry, never a new one.
    #[arg(long)]
    order_ref: String,
    /// The amount as a decimal (12.34).
    #[arg(long, allow_hyphen_values = true)]
    amount: String,
    /// ISO 4217 currency (THB, CNY, HKD…).
    #[arg(long)]
    currency: String,
    /// How the customer pays: qr, web, wap, app, jsapi or barcode.
    #[arg(long)]
    scene: String,
    /// Where the provider sends the browser back to (web, wap).
    #[arg(long)]
    return_url: Option<String>,
    /// The payer's id in the provider's app (jsapi: WeChat openid, Alipay buyer_open_id).
    #[arg(long)]
    payer: Option<String>,
    /// The code scanned from the customer's phone (barcode).
    #[arg(long)]
    auth_code: Option<String>,
    /// The payer's IP address (WeChat Pay H5 requires it).
    #[arg(long)]
    client_ip: Option<String>,
    /// Where the provider sends the payment notification.
    #[arg(long)]
    notify_url: Option<String>,
    /// What the customer sees the payment as (defaults to the order reference).
    #[arg(long)]
    description: Option<String>,
    /// Seconds a barcode payment waits for the buyer before it is cancelled.
    #[arg(long, default_value_t = 30)]
    deadline: u64,
    /// Seconds an unpaid payment stays payable.
    #[arg(long)]
    expires_in: Option<u64>,
    /// The customer's name (BluePay web).
    #[arg(long, requires_all = ["customer_email", "customer_mobile"])]
    customer_name: Option<String>,
    /// The customer's e-mail address (BluePay web).
    #[arg(long, requires = "customer_name")]
    customer_email: Option<String>,
    /// The customer's mobile number (BluePay web: Thai format).
    #[arg(long, requires = "customer_name")]
    customer_mobile: Option<String>,
}

/// `paybridge pay status` and `pay close` options.
#[derive(Args, Debug)]
pub(crate) struct LookupArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// Your order reference.
    #[arg(long)]
    order_ref: String,
    /// The payment's amount, to check the answer against.
    #[arg(long, requires = "currency", allow_hyphen_values = true)]
    amount: Option<String>,
    /// The currency of --amount.
    #[arg(long, requires = "amount")]
    currency: Option<String>,
}

fn order_ref(text: &str) -> Result<OrderRef, Failure> {
    OrderRef::new(text).map_err(|e| Failure::input(format!("--order-ref: {e}")))
}

fn money(amount: &str, currency: &str) -> Result<Money, Failure> {
    let currency =
        Currency::from_code(currency).map_err(|e| Failure::input(format!("--currency: {e}")))?;
    Money::parse(amount, currency).map_err(|e| Failure::input(format!("--amount: {e}")))
}

fn required(value: Option<String>, flag: &str, scene: SceneKind) -> Result<String, Failure> {
    value.ok_or_else(|| Failure::input(format!("--scene {scene} needs {flag}")))
}

/// The request `args` describe, validated; nothing is sent.
fn request(args: &CreateArgs) -> Result<PaymentRequest, Failure> {
    let kind = SceneKind::parse(&args.scene).ok_or_else(|| {
        Failure::input(format!(
            "unknown scene {:?}: use qr, web, wap, app, jsapi or barcode",
            args.scene
        ))
    })?;
    let scene = match kind {
        SceneKind::Qr => Scene::Qr,
        SceneKind::Web => Scene::Web {
            return_url: args.return_url.clone(),
        },
        SceneKind::Wap => Scene::Wap {
            return_url: args.return_url.clone(),
        },
        SceneKind::App => Scene::App,
        SceneKind::Jsapi => Scene::Jsapi {
            payer: required(args.payer.clone(), "--payer", kind)?,
        },
        SceneKind::Barcode => Scene::Barcode {
            auth_code: required(args.auth_code.clone(), "--auth-code", kind)?,
        },
    };
    let mut builder = PaymentRequest::builder(
        order_ref(&args.order_ref)?,
        money(&args.amount, &args.currency)?,
        scene,
    )
    .barcode_deadline(Duration::from_secs(args.deadline));
    if let Some(description) = &args.description {
        builder = builder.description(description);
    }
    if let Some(url) = &args.notify_url {
        builder = builder.notify_url(url);
    }
    if let Some(ip) = &args.client_ip {
        builder = builder.client_ip(ip);
    }
    if let Some(seconds) = args.expires_in {
        let seconds =
            i64::try_from(seconds).map_err(|_| Failure::input("--expires-in: too large"))?;
        let at = paybridge::core::Timestamp::from_unix(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .saturating_add(seconds),
        )
        .ok_or_else(|| Failure::input("--expires-in: out of range"))?;
        builder = builder.expires_at(at);
    }
    if let (Some(name), Some(email), Some(mobile)) = (
        &args.customer_name,
        &args.customer_email,
        &args.customer_mobile,
    ) {
        builder = builder.customer(Customer {
            name: name.clone(),
            email: email.clone(),
            mobile: mobile.clone(),
        });
    }
    Ok(builder.build()?)
}

/// Draws a QR code's content on stderr when a person is looking at it.
fn draw_qr(content: &str) {
    if !std::io::stderr().is_terminal() {
        return;
    }
    match qrcode::QrCode::new(content.as_bytes()) {
        Ok(code) => {
            let picture = code
                .render::<qrcode::render::unicode::Dense1x2>()
                .quiet_zone(true)
                .build();
            output::say(&picture);
        }
        Err(e) => output::say(&format!("(the QR code cannot be drawn: {e})")),
    }
}

/// A created payment's exit: waiting for the customer (or paid) is a success; a barcode payment
/// that failed or was cancelled took no money (3); one still waiting at its deadline needs the
/// merchant's attention (4).
fn created(payment: &Payment, barcode: bool) -> Result<(), Failure> {
    output::line(payment);
    if let Some(PaymentAction::Qr { content }) = &payment.action {
        draw_qr(content);
    }
    // A barcode payment cancelled after it was paid went back whole ("refunded"); any other
    // refunded payment is an earlier one under this reference, and may still hold money.
    let not_taken = matches!(
        payment.status,
        PaymentStatus::Failed | PaymentStatus::Closed
    ) || (barcode && payment.status == PaymentStatus::Refunded);
    match payment.status {
        _ if not_taken => Err(Failure {
            code: 3,
            kind: "payment_not_taken",
            message: format!(
                "{} reports payment {} {} ({}): no money was kept",
                payment.provider,
                payment.order_ref,
                payment.status.as_str(),
                payment
                    .provider_status
                    .as_deref()
                    .unwrap_or("no raw status")
            ),
        }),
        PaymentStatus::Pending if barcode => Err(Failure {
            code: 4,
            kind: "requires_attention",
            message: format!(
                "{} still waits for the buyer to confirm payment {} after the deadline and \
                 cannot cancel it: look it up later with `paybridge pay status`; never charge \
                 again under a new order reference",
                payment.provider, payment.order_ref
            ),
        }),
        _ => Ok(()),
    }
}

fn lookup(args: &LookupArgs) -> Result<PaymentLookup, Failure> {
    let mut lookup = PaymentLookup::new(order_ref(&args.order_ref)?);
    if let (Some(amount), Some(currency)) = (&args.amount, &args.currency) {
        lookup.amount = Some(money(amount, currency)?);
    }
    Ok(lookup)
}

/// Runs one `paybridge pay` command.
pub(crate) async fn run(config: Option<&Path>, command: PayCommand) -> Result<(), Failure> {
    match command {
        PayCommand::Create(args) => {
            known_provider(&args.provider)?;
            let request = request(&args)?;
            let gateway = load_gateway(config)?;
            let payments = gateway.payments(&args.provider)?;
            payments.check_scene(request.scene())?;
            let barcode = matches!(request.scene(), Scene::Barcode { .. });
            match payments.create_payment(&request).await {
                Ok(payment) => created(&payment, barcode),
                Err(error) if error.outcome_unknown() => Err(Failure {
                    code: 4,
                    kind: "outcome_unknown",
                    message: format!(
                        "{error} — the payment may exist: run `paybridge pay status` with the same \
                         order reference; never create it again under a new one"
                    ),
                }),
                Err(error) => Err(error.into()),
            }
        }
        PayCommand::Status(args) => {
            known_provider(&args.provider)?;
            let lookup = lookup(&args)?;
            let gateway = load_gateway(config)?;
            let payment = gateway
                .payments(&args.provider)?
                .payment_status(&lookup)
                .await?;
            output::line(&payment);
            Ok(())
        }
        PayCommand::Close(args) => {
            known_provider(&args.provider)?;
            let lookup = lookup(&args)?;
            let gateway = load_gateway(config)?;
            let payment = gateway
                .payments(&args.provider)?
                .close_payment(&lookup)
                .await?;
            output::line(&payment);
            if payment.status.was_paid() {
                return Err(Failure {
                    code: 3,
                    kind: "payment_paid",
                    message: format!(
                        "{} payment {} is paid and was not closed: refund it instead",
                        payment.provider, payment.order_ref
                    ),
                });
            }
            Ok(())
        }
    }
}
