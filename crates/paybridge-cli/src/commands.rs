//! The single-shot commands: sandbox, refund, refund-status, notification verify, canonicalize,
//! sign.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use paybridge::sign::canonical;
use paybridge::{
    Config, Currency, Error, Gateway, MerchantRefundId, Money, OrderRef, PaymentRef, ProviderId,
    RefundLookup, RefundOutcome, RefundRequest, RefundStatus, ReliablePolicy, config_path,
    reliable_refund,
};
use paybridge_sandbox::{Quirks, Sandbox, SandboxConfig};

use crate::exit::Failure;
use crate::output;

/// `paybridge sandbox` options.
#[derive(Args, Debug)]
pub(crate) struct SandboxArgs {
    /// The loopback address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    /// Write a paybridge.toml (and key files beside it) pointing every provider at the sandbox.
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,
    /// Share of provider calls that fail (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Seed of the fault sequence, to replay a run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// How long refunds stay pending, in milliseconds (0: final at once).
    #[arg(long, default_value_t = 200)]
    refund_delay_ms: u64,
    /// Ambiguous answers real providers give, comma-separated: bluepay-processing,
    /// scanforpay-exhausted, nomad-null-amounts, wechatpay-system-error, alipay-system-error,
    /// bill-corrupt (every statement download damaged), or all.
    #[arg(long, default_value = "")]
    quirks: String,
    /// Also serve each provider on a port of its own, at the root of a host-only base URL (as
    /// the real provider is), for SDKs whose gateway setting is a host; the written config and
    /// the ready line name them.
    #[arg(long)]
    listen_per_provider: bool,
}

/// `paybridge refund` options.
#[derive(Args, Debug)]
pub(crate) struct RefundArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    pub(crate) provider: String,
    /// The provider's payment reference (what it is, per provider, is written into the help
    /// from each provider's profile).
    #[arg(long)]
    pub(crate) payment: Option<String>,
    /// Your refund id: the idempotency key; reuse it to retry.
    #[arg(long)]
    pub(crate) refund_id: String,
    /// The amount as a decimal (12.34).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) amount: String,
    /// ISO 4217 currency (THB, CNY, HKD…).
    #[arg(long)]
    pub(crate) currency: String,
    /// The payment's total, as a decimal (per provider: from the profiles).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) total: Option<String>,
    /// The merchant order reference (per provider: from the profiles).
    #[arg(long)]
    pub(crate) order_ref: Option<String>,
    /// Shown to the customer.
    #[arg(long)]
    pub(crate) reason: Option<String>,
    /// Where the provider sends the refund notification.
    #[arg(long)]
    pub(crate) notify_url: Option<String>,
}

/// `paybridge refund-status` options.
#[derive(Args, Debug)]
pub(crate) struct StatusArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// Your refund id.
    #[arg(long)]
    refund_id: String,
    /// The provider's payment reference (per provider: from the profiles).
    #[arg(long)]
    payment: Option<String>,
    /// The merchant order reference (per provider: from the profiles).
    #[arg(long)]
    order_ref: Option<String>,
    /// The refund's amount, to check it (and, for scanforpay, to recognise a full refund).
    #[arg(long, requires = "currency", allow_hyphen_values = true)]
    amount: Option<String>,
    /// The currency of --amount.
    #[arg(long, requires = "amount")]
    currency: Option<String>,
}

/// `paybridge notification verify` options.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// A header the notification came with, `'Name: value'` (repeat it): WeChat Pay signs its
    /// notifications in `Wechatpay-Timestamp`, `-Nonce`, `-Signature` and `-Serial`.
    #[arg(long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The input is the whole HTTP request as received (request line, headers, blank line,
    /// body), not just the body.
    #[arg(long)]
    raw_http: bool,
    /// The raw notification body, or with --raw-http the raw request (standard input by default).
    file: Option<PathBuf>,
}

/// A `Name: value` header line.
fn header_line(line: &str) -> Result<(http::HeaderName, http::HeaderValue), Failure> {
    let (name, value) = line
        .split_once(':')
        .ok_or_else(|| Failure::input(format!("header {line:?} is not `Name: value`")))?;
    let name = http::HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| Failure::input(format!("{:?} is not a header name", name.trim())))?;
    let value = http::HeaderValue::from_str(value.trim())
        .map_err(|_| Failure::input(format!("the value of {name} is not a header value")))?;
    Ok((name, value))
}

/// Splits a raw HTTP/1.1 request into its headers and its body, exactly as received (the body
/// is what the signature covers: never re-encoded).
pub(crate) fn parse_raw_http(raw: &[u8]) -> Result<(http::HeaderMap, Bytes), Failure> {
    let (head, body) = match raw.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) => (raw.get(..end), raw.get(end + 4..)),
        None => match raw.windows(2).position(|w| w == b"\n\n") {
            Some(end) => (raw.get(..end), raw.get(end + 2..)),
            None => (None, None),
        },
    };
    let (Some(head), Some(body)) = (head, body) else {
        return Err(Failure::input(
            "not an HTTP request: no blank line between the headers and the body",
        ));
    };
    let head = std::str::from_utf8(head)
        .map_err(|_| Failure::input("the request's headers are not text"))?;
    let mut headers = http::HeaderMap::new();
    for (i, line) in head.lines().map(|l| l.trim_end_matches('\r')).enumerate() {
        if i == 0 && line.contains(" HTTP/") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let (name, value) = header_line(line)?;
        headers.append(name, value);
    }
    if headers
        .get(http::header::TRANSFER_ENCODING)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"))
    {
        return Err(Failure::input(
            "a chunked request body is not read here: save the body as received and pass its headers with --header",
        ));
    }
    let body = match headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(length) => body.get(..length).ok_or_else(|| {
            Failure::input(format!(
                "Content-Length says {length} bytes, the body has {}",
                body.len()
            ))
        })?,
        None => body,
    };
    Ok((headers, Bytes::copy_from_slice(body)))
}

/// `paybridge sign` options.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The provider, or a named account of one (its help lists them, from the registry).
    #[arg(long)]
    provider: String,
    /// The request body as JSON (standard input by default).
    file: Option<PathBuf>,
}

pub(crate) fn read_input(file: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match file {
        Some(path) => std::fs::read(path)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display()))),
        None => {
            let mut buffer = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|e| Failure::input(format!("cannot read standard input: {e}")))?;
            Ok(buffer)
        }
    }
}

pub(crate) fn load_config(path: Option<&Path>) -> Result<Config, Failure> {
    Ok(Config::load_each(config_path(path))?)
}

pub(crate) fn load_gateway(path: Option<&Path>) -> Result<Gateway, Failure> {
    Ok(Gateway::from_config(&load_config(path)?)?)
}

pub(crate) fn known_provider(name: &str) -> Result<ProviderId, Failure> {
    paybridge::supported(name).ok_or_else(|| {
        Failure::input(format!(
            "unknown provider {name:?}: use one of {}",
            paybridge::supported_names()
        ))
    })
}

fn currency(code: &str) -> Result<Currency, Failure> {
    Currency::from_code(code).map_err(|e| Failure::input(format!("--currency: {e}")))
}

pub(crate) use paybridge::rows::RequestFields;

/// Validates text fields into a request, with the CLI's error messages.
pub(crate) fn build_request(fields: &RequestFields<'_>) -> Result<RefundRequest, Failure> {
    Currency::from_code(fields.currency).map_err(|e| Failure::input(format!("--currency: {e}")))?;
    Ok(fields.to_request()?)
}

/// The refund command's exit follows the refund's status: a refund the provider holds but
/// failed is not a success, and one that needs attention is not settled.
fn outcome_result(outcome: RefundOutcome) -> Result<(), Failure> {
    match outcome {
        RefundOutcome::Refunded(refund) => {
            output::line(&refund);
            match refund.status {
                RefundStatus::Failed | RefundStatus::Cancelled => Err(Failure {
                    code: 3,
                    kind: "refund_failed",
                    message: format!(
                        "{} holds refund {} but reports it {} ({}): no money went back",
                        refund.provider,
                        refund.refund_id,
                        refund.status.as_str(),
                        refund.provider_status.as_deref().unwrap_or("no raw status")
                    ),
                }),
                RefundStatus::RequiresAttention => Err(Failure {
                    code: 4,
                    kind: "requires_attention",
                    message: format!(
                        "{} holds refund {} but says it needs your action ({}); do not refund it again under a new id",
                        refund.provider,
                        refund.refund_id,
                        refund.provider_status.as_deref().unwrap_or("no raw status")
                    ),
                }),
                _ => Ok(()),
            }
        }
        RefundOutcome::Unknown(error @ paybridge::Error::Verification { .. }) => Err(Failure {
            code: 5,
            kind: "unverifiable",
            message: error.to_string(),
        }),
        RefundOutcome::Conflict(error) => Err(Failure {
            code: 3,
            kind: "refund_id_conflict",
            message: format!(
                "{error} — the refund id already names another refund; nothing new was applied"
            ),
        }),
        RefundOutcome::Unknown(error) => Err(Failure {
            code: 4,
            kind: "outcome_unknown",
            message: format!(
                "{error} — the refund may have been applied; run refund-status with the same refund id"
            ),
        }),
        other => Err(other
            .error()
            .cloned()
            .map_or_else(|| Failure::input("refund failed"), Failure::from)),
    }
}

pub(crate) async fn refund(config: Option<&Path>, args: RefundArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    let request = build_request(&RequestFields {
        refund_id: &args.refund_id,
        amount: &args.amount,
        currency: &args.currency,
        payment: args.payment.as_deref(),
        order_ref: args.order_ref.as_deref(),
        total: args.total.as_deref(),
        reason: args.reason.as_deref(),
        notify_url: args.notify_url.as_deref(),
    })?;
    let gateway = load_gateway(config)?;
    let provider = gateway.provider(&args.provider)?;
    outcome_result(reliable_refund(provider.as_ref(), &request, &ReliablePolicy::default()).await)
}

pub(crate) async fn refund_status(config: Option<&Path>, args: StatusArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    let mut lookup = RefundLookup::new(
        MerchantRefundId::new(args.refund_id)
            .map_err(|e| Failure::input(format!("refund id: {e}")))?,
    );
    lookup.payment = args
        .payment
        .map(PaymentRef::new)
        .transpose()
        .map_err(|e| Failure::input(format!("payment: {e}")))?;
    lookup.order_ref = args
        .order_ref
        .map(OrderRef::new)
        .transpose()
        .map_err(|e| Failure::input(format!("order ref: {e}")))?;
    if let (Some(amount), Some(code)) = (&args.amount, &args.currency) {
        let money = Money::parse(amount, currency(code)?);
        lookup.amount = Some(money.map_err(|e| Failure::input(format!("amount: {e}")))?);
    }
    let gateway = load_gateway(config)?;
    let refund = gateway
        .provider(&args.provider)?
        .refund_status(&lookup)
        .await?;
    output::line(&refund);
    Ok(())
}

pub(crate) async fn verify(config: Option<&Path>, args: VerifyArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    let input = read_input(args.file.as_deref())?;
    let (mut headers, body) = if args.raw_http {
        parse_raw_http(&input)?
    } else {
        (http::HeaderMap::new(), Bytes::from(input))
    };
    for line in &args.headers {
        let (name, value) = header_line(line)?;
        headers.insert(name, value);
    }
    let gateway = load_gateway(config)?;
    let mut request = http::Request::post("/notification")
        .body(body)
        .map_err(|e| Failure::input(e.to_string()))?;
    *request.headers_mut() = headers;
    let notification = gateway
        .provider(&args.provider)?
        .verify_notification(&request)
        .await
        .map_err(|error| match error {
            // A body that is not a notification is bad input, not a transport failure. (An
            // answer the provider sent to a look-up made on the notification's hint carries
            // its HTTP status, and stays what it is.)
            Error::MalformedResponse {
                http_status: None,
                reason,
                ..
            } => Failure {
                code: 2,
                kind: "invalid_notification",
                message: format!("not a valid {} notification: {reason}", args.provider),
            },
            other => Failure::from(other),
        })?;
    output::line(&notification);
    Ok(())
}

pub(crate) fn canonicalize(file: Option<&Path>) -> Result<(), Failure> {
    let input = read_input(file)?;
    let canonical = canonical::canonicalize(&input)
        .map_err(|e| Failure::input(format!("not canonicalizable: {e}")))?;
    output::raw(&canonical);
    Ok(())
}

pub(crate) fn sign(config: Option<&Path>, args: SignArgs) -> Result<(), Failure> {
    known_provider(&args.provider)?;
    let input = read_input(args.file.as_deref())?;
    let config = load_config(config)?;
    let account = config.account(&args.provider).ok_or_else(|| {
        Failure::input(format!(
            "{} is not configured in paybridge.toml",
            args.provider
        ))
    })?;
    // The provider's own codec signs, exactly as a refund would be signed.
    let signed = account.settings.sign_example(&input).map_err(|e| match e {
        Error::InvalidRequest { reason, .. } => Failure::input(format!("the body {reason}")),
        other => Failure::from(other),
    })?;
    output::raw(&signed);
    output::raw(b"\n");
    Ok(())
}

pub(crate) async fn sandbox(args: SandboxArgs) -> Result<(), Failure> {
    if !(0.0..=1.0).contains(&args.fault_rate) {
        return Err(Failure::input("--fault-rate must be between 0 and 1"));
    }
    let quirks =
        Quirks::parse(&args.quirks).map_err(|e| Failure::input(format!("--quirks: {e}")))?;
    let sandbox = Sandbox::start(SandboxConfig {
        quirks,
        listen: args.listen,
        fault_rate: args.fault_rate,
        fault_seed: args.seed,
        refund_delay: Duration::from_millis(args.refund_delay_ms),
        listen_per_provider: args.listen_per_provider,
        ..SandboxConfig::default()
    })
    .await?;
    if let Some(path) = &args.write_config {
        sandbox
            .write_config(path)
            .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
    }
    let providers: serde_json::Map<String, serde_json::Value> = sandbox
        .provider_urls()
        .into_iter()
        .map(|(p, url)| (p.name().to_owned(), url.into()))
        .collect();
    output::line(&serde_json::json!({
        "listen": sandbox.addr().to_string(),
        "config": args.write_config.as_ref().map(|p| p.display().to_string()),
        "providers": providers,
    }));
    output::say(&format!(
        "sandbox listening on {}; Ctrl-C to stop",
        sandbox.base_url()
    ));
    shutdown_signal().await;
    sandbox.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
