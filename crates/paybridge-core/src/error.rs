//! The error taxonomy, split by the phase in which something went wrong — the same split the
//! money-safety rules need: *was anything sent?* and *do we know what happened?*

use std::fmt;

/// A paybridge result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Whether a failed request may have reached the provider. This is what decides whether a retry
/// is safe without an idempotency key and whether the outcome is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Delivery {
    /// The request was never written to the network (no connection, connect timeout, TLS refused,
    /// bad URL): the provider cannot have acted on it.
    NotSent,
    /// The request may have been written and the provider may have acted on it (connection lost
    /// after writing, response timeout, connection closed mid-response).
    MaybeDelivered,
}

/// What failed in the transport.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The URL is not usable (scheme, host, plain `http://` to a non-loopback host).
    InvalidUrl,
    /// The TCP connection could not be made.
    Connect,
    /// The TCP connection was not made in time.
    ConnectTimeout,
    /// The TLS handshake failed (unknown CA, bad certificate, protocol mismatch).
    Tls,
    /// The connection broke after the request was (possibly) written.
    ConnectionLost,
    /// The response (headers and body) did not arrive within the request timeout.
    ResponseTimeout,
    /// The response body was larger than the configured limit.
    BodyTooLarge,
    /// Anything else the HTTP stack reported.
    Other,
}

/// How a provider's rejection should be handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionClass {
    /// The provider is temporarily unable (server error, rate limit, network error on its side):
    /// the same request may succeed later.
    Retryable,
    /// The request itself is wrong (parameters, amounts, ids): fix it before sending again.
    CallerError,
    /// The request is well-formed but the payment's state forbids it (already fully refunded,
    /// too old, not completed, a pending refund exists): a human or a later state must decide.
    ProviderState,
    /// Credentials or signatures were refused: a configuration problem.
    Authentication,
    /// The merchant id was already used; the caller should look the original up.
    Duplicate,
    /// The answer does not say whether the request was applied (BluePay's "refund processing"
    /// for an id it may already hold, ScanForPay's "state unknown"): never a refusal, never
    /// blindly resent — looked up first.
    Ambiguous,
}

/// What a provider's answer code says about the request that drew it — the one question that
/// decides whether a merchant may be told "refused".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disposition {
    /// Refused, and nothing was applied: final for this request.
    Refused,
    /// Nothing was applied, and the same request (the same merchant id) may succeed if sent
    /// again later.
    RetrySameId,
    /// The request may have been applied: resolved by a look-up, never reported as refused.
    Ambiguous,
}

impl Disposition {
    /// A short lower-case name, for logs, JSON and the code tables' tests.
    pub const fn as_str(self) -> &'static str {
        match self {
            Disposition::Refused => "refused",
            Disposition::RetrySameId => "retry_same_id",
            Disposition::Ambiguous => "ambiguous",
        }
    }
}

/// One row of a provider's code table: how a code is handled and what the provider says it
/// means. Each provider crate's `codes.rs` maps every published code to one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeMeaning {
    /// How the rejection is handled.
    pub class: RejectionClass,
    /// The provider's documented meaning.
    pub meaning: &'static str,
}

impl CodeMeaning {
    /// A table row.
    pub const fn new(class: RejectionClass, meaning: &'static str) -> CodeMeaning {
        CodeMeaning { class, meaning }
    }

    /// What the code says about the request: see [`RejectionClass::disposition`].
    pub const fn disposition(self) -> Disposition {
        self.class.disposition()
    }
}

impl RejectionClass {
    /// A short lower-case name, for logs and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            RejectionClass::Retryable => "retryable",
            RejectionClass::CallerError => "caller_error",
            RejectionClass::ProviderState => "provider_state",
            RejectionClass::Authentication => "authentication",
            RejectionClass::Duplicate => "duplicate",
            RejectionClass::Ambiguous => "ambiguous",
        }
    }

    /// What a rejection of this class says about the request: a retryable one applied nothing
    /// and may be sent again under the same id; an ambiguous one may have been applied; every
    /// other class is a refusal that applied nothing.
    pub const fn disposition(self) -> Disposition {
        match self {
            RejectionClass::Retryable => Disposition::RetrySameId,
            RejectionClass::Ambiguous => Disposition::Ambiguous,
            RejectionClass::CallerError
            | RejectionClass::ProviderState
            | RejectionClass::Authentication
            | RejectionClass::Duplicate => Disposition::Refused,
        }
    }
}

/// A provider's own code for an answer, as it wrote it (`"21402"`, `"35"`, `"422"`,
/// `"FREQUENCY_LIMITED"`): compared as a code, never parsed ad hoc at each use.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProviderCode(String);

impl ProviderCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code as a number, for providers whose codes are numbers.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }
}

impl fmt::Debug for ProviderCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ProviderCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<i64> for ProviderCode {
    fn from(code: i64) -> ProviderCode {
        ProviderCode(code.to_string())
    }
}

impl From<u16> for ProviderCode {
    fn from(status: u16) -> ProviderCode {
        ProviderCode(status.to_string())
    }
}

impl From<&str> for ProviderCode {
    fn from(code: &str) -> ProviderCode {
        ProviderCode(code.to_owned())
    }
}

impl From<String> for ProviderCode {
    fn from(code: String) -> ProviderCode {
        ProviderCode(code)
    }
}

impl PartialEq<str> for ProviderCode {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ProviderCode {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<i64> for ProviderCode {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

/// The underlying error of an [`Error`] (a key the backend refused, a signing failure), kept
/// for [`std::error::Error::source`]. Two are equal when they read the same.
#[derive(Clone)]
pub struct ErrorSource(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl ErrorSource {
    /// Keeps `error` as a source.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> ErrorSource {
        ErrorSource(std::sync::Arc::new(error))
    }
}

impl fmt::Debug for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ErrorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq for ErrorSource {
    fn eq(&self, other: &ErrorSource) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for ErrorSource {}

/// Everything that can go wrong between a merchant's call and a provider's answer.
///
/// Messages never contain secrets: keys are never formatted into them, and provider text is kept
/// as the provider sent it (trimmed), which carries no merchant secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request was refused before anything was sent.
    InvalidRequest {
        /// The field (or argument) at fault.
        field: String,
        /// Why, in words.
        reason: String,
    },
    /// The configuration (URLs, settings, credentials) is unusable; nothing was sent.
    Config {
        /// Why, in words.
        reason: String,
    },
    /// A key could not be used (malformed, refused by the crypto backend); nothing was sent.
    Key {
        /// Which key (`"[bluepay] private key"`).
        key: String,
        /// Why, from the key reader or the crypto backend.
        source: ErrorSource,
    },
    /// Signing a request failed; nothing was sent.
    Signing {
        /// The provider whose request it was.
        provider: &'static str,
        /// Why, from the crypto backend.
        source: ErrorSource,
    },
    /// The request did not complete at the transport level.
    Transport {
        /// What failed.
        kind: TransportErrorKind,
        /// Whether the provider may have received it.
        delivery: Delivery,
        /// Details from the HTTP stack.
        message: String,
    },
    /// The provider answered and refused the request.
    Rejected {
        /// The provider's name (`"bluepay"`).
        provider: &'static str,
        /// The provider's own code (`"21402"`, `"35"`, `"422"`).
        code: ProviderCode,
        /// The provider's message.
        message: String,
        /// How the code is to be handled.
        class: RejectionClass,
    },
    /// A signature or keyed hash did not verify: the message must not be trusted.
    Verification {
        /// The provider whose message failed.
        provider: &'static str,
        /// What failed.
        reason: String,
    },
    /// The provider's answer could not be understood (not JSON, wrong types, missing fields).
    MalformedResponse {
        /// The provider.
        provider: &'static str,
        /// The HTTP status, where there was one.
        http_status: Option<u16>,
        /// What was wrong.
        reason: String,
    },
    /// The provider's answer contradicts the request (amount, currency or id differs): never
    /// treated as a success.
    IntegrityMismatch {
        /// The provider.
        provider: &'static str,
        /// The field that differs.
        field: &'static str,
        /// What the request said.
        expected: String,
        /// What the provider said.
        actual: String,
    },
    /// A status query found no refund under the merchant's id: the provider never applied it.
    /// After an unknown outcome this is the answer that makes resending (with the same id) safe.
    RefundNotFound {
        /// The provider.
        provider: &'static str,
        /// The merchant refund id looked up.
        refund_id: String,
    },
    /// A payment look-up found no payment under the merchant's order reference.
    PaymentNotFound {
        /// The provider.
        provider: &'static str,
        /// The order reference looked up.
        order_ref: String,
    },
    /// The provider (or paybridge's client for it) does not offer this payment scene; nothing
    /// was sent.
    UnsupportedScene {
        /// The provider.
        provider: &'static str,
        /// The scene asked for (`"barcode"`).
        scene: &'static str,
        /// Why, and what the provider does offer.
        reason: String,
    },
    /// The provider publishes no API for this operation (closing a ScanForPay order, say);
    /// nothing was sent.
    Unsupported {
        /// The provider.
        provider: &'static str,
        /// The operation (`"close"`).
        operation: &'static str,
        /// What the merchant can do instead.
        reason: String,
    },
    /// The request may or may not have taken effect. Resolve with a status query using the same
    /// merchant id; never by sending a new id.
    OutcomeUnknown {
        /// The provider.
        provider: &'static str,
        /// Why the outcome is unknown.
        reason: String,
    },
}

impl Error {
    /// An [`Error::InvalidRequest`] for `field`.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidRequest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// An [`Error::MalformedResponse`] from `provider` (with the HTTP status, where there was
    /// one): the one spelling every codec uses.
    pub fn malformed(
        provider: &'static str,
        http_status: Option<u16>,
        reason: impl Into<String>,
    ) -> Error {
        Error::MalformedResponse {
            provider,
            http_status,
            reason: reason.into(),
        }
    }

    /// The cause in a few words, for a message that states its own conclusion: without the
    /// advice a full message ends with ("nothing was sent", "resolve it with a status query"),
    /// which would contradict or repeat the conclusion around it.
    pub fn summary(&self) -> String {
        match self {
            Error::InvalidRequest { field, reason } => format!("invalid {field}: {reason}"),
            Error::Config { reason } => format!("configuration: {reason}"),
            Error::Key { key, source } => format!("{key}: {source}"),
            Error::Signing { provider, source } => format!("signing for {provider}: {source}"),
            Error::Transport { kind, message, .. } => format!("transport {kind:?}: {message}"),
            Error::OutcomeUnknown { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    /// What this error means for a refund that was sent: if the provider may have applied it —
    /// the request may have arrived, or an answer came back that could not be read, trusted or
    /// reconciled with the request ([`Error::may_have_applied`]) — its
    /// outcome is [`Error::OutcomeUnknown`], to be settled by a status query under the same
    /// refund id; any other error is returned as it is.
    pub fn unknown_if_maybe_applied(self, provider: &'static str) -> Error {
        if self.may_have_applied() {
            // A verification failure stays one: whoever settles the outcome must know that the
            // answers cannot be trusted, not just that one was lost.
            if matches!(
                self,
                Error::OutcomeUnknown { .. } | Error::Verification { .. }
            ) {
                return self;
            }
            Error::OutcomeUnknown {
                provider,
                reason: self.to_string(),
            }
        } else {
            self
        }
    }

    /// Whether sending the *same* request again (with the same merchant id) may succeed.
    ///
    /// Transport failures and unknown outcomes are retryable because every paybridge retry
    /// reuses the idempotency key; rejections are retryable only when the provider says so.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { kind, .. } => !matches!(
                kind,
                TransportErrorKind::InvalidUrl | TransportErrorKind::BodyTooLarge
            ),
            Error::Rejected { class, .. } => *class == RejectionClass::Retryable,
            Error::OutcomeUnknown { .. } => true,
            _ => false,
        }
    }

    /// Whether the provider may have acted on the request even though no answer says so. Such an
    /// outcome must be resolved by a status query, never by a new refund id.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { delivery, .. } => *delivery == Delivery::MaybeDelivered,
            Error::OutcomeUnknown { .. } => true,
            Error::Rejected { class, .. } => *class == RejectionClass::Ambiguous,
            _ => false,
        }
    }

    /// Whether the request that drew this error may have been applied by the provider: it may
    /// have arrived without an answer ([`Error::outcome_unknown`]), or an answer came back that
    /// cannot be read, verified or squared with the request — a provider that answered may
    /// well have acted. Only a readable refusal, or nothing sent at all, rules it out.
    pub fn may_have_applied(&self) -> bool {
        self.outcome_unknown()
            || matches!(
                self,
                Error::MalformedResponse { .. }
                    | Error::Verification { .. }
                    | Error::IntegrityMismatch { .. }
            )
    }

    /// Whether the request certainly never reached a provider (nothing was sent).
    pub fn nothing_sent(&self) -> bool {
        match self {
            Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::Key { .. }
            | Error::Signing { .. }
            | Error::UnsupportedScene { .. }
            | Error::Unsupported { .. } => true,
            Error::Transport { delivery, .. } => *delivery == Delivery::NotSent,
            _ => false,
        }
    }

    /// A stable lower-case name for the variant (`"invalid_request"`, `"rejected"`…), for JSON
    /// output and metrics.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Config { .. } => "config",
            Error::Key { .. } => "key",
            Error::Signing { .. } => "signing",
            Error::Transport { .. } => "transport",
            Error::Rejected { .. } => "rejected",
            Error::Verification { .. } => "verification",
            Error::MalformedResponse { .. } => "malformed_response",
            Error::IntegrityMismatch { .. } => "integrity_mismatch",
            Error::RefundNotFound { .. } => "refund_not_found",
            Error::PaymentNotFound { .. } => "payment_not_found",
            Error::UnsupportedScene { .. } => "unsupported_scene",
            Error::Unsupported { .. } => "unsupported",
            Error::OutcomeUnknown { .. } => "outcome_unknown",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest { field, reason } => {
                write!(f, "invalid request: {field}: {reason} (nothing was sent)")
            }
            Error::Config { reason } => {
                write!(f, "configuration error: {reason} (nothing was sent)")
            }
            Error::Key { key, source } => {
                write!(f, "{key} cannot be used: {source} (nothing was sent)")
            }
            Error::Signing { provider, source } => {
                write!(
                    f,
                    "signing the {provider} request failed: {source} (nothing was sent)"
                )
            }
            Error::Transport {
                kind,
                delivery,
                message,
            } => {
                let sent = match delivery {
                    Delivery::NotSent => "the request was not sent",
                    Delivery::MaybeDelivered => "the request may have reached the provider",
                };
                write!(f, "transport error ({kind:?}): {message}; {sent}")
            }
            Error::Rejected {
                provider,
                code,
                message,
                class,
            } => write!(
                f,
                "{provider} rejected the request with code {code} ({}): {message}",
                class.as_str()
            ),
            Error::Verification { provider, reason } => {
                write!(f, "{provider} message failed verification: {reason}")
            }
            Error::MalformedResponse {
                provider,
                http_status,
                reason,
            } => match http_status {
                Some(status) => write!(
                    f,
                    "{provider} sent an unreadable response (HTTP {status}): {reason}"
                ),
                None => write!(f, "{provider} sent an unreadable response: {reason}"),
            },
            Error::IntegrityMismatch {
                provider,
                field,
                expected,
                actual,
            } => write!(
                f,
                "{provider} answered with {field} {actual}, but the request said {expected}"
            ),
            Error::RefundNotFound {
                provider,
                refund_id,
            } => {
                write!(f, "{provider} has no refund with id {refund_id:?}")
            }
            Error::PaymentNotFound {
                provider,
                order_ref,
            } => {
                write!(
                    f,
                    "{provider} has no payment with order reference {order_ref:?}"
                )
            }
            Error::UnsupportedScene {
                provider,
                scene,
                reason,
            } => write!(
                f,
                "{provider} payments cannot be taken in the {scene} scene: {reason} (nothing was sent)"
            ),
            Error::Unsupported {
                provider,
                operation,
                reason,
            } => write!(
                f,
                "{provider} has no {operation} operation: {reason} (nothing was sent)"
            ),
            Error::OutcomeUnknown { provider, reason } => write!(
                f,
                "outcome unknown at {provider}: {reason}; resolve it with a status query using the same merchant id (refund id or order reference)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Key { source, .. } | Error::Signing { source, .. } => Some(&*source.0),
            _ => None,
        }
    }
}

/// A short, printable excerpt of a body for an error message: control characters dropped, at
/// most `max_chars` characters, an ellipsis where it was cut. Provider answers end up in error
/// text this way without flooding logs or breaking lines.
pub fn excerpt(body: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let mut short: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect();
    if text
        .chars()
        .filter(|c| !c.is_control())
        .nth(max_chars)
        .is_some()
    {
        short.push('…');
    }
    short
}

impl From<crate::IdError> for Error {
    fn from(e: crate::IdError) -> Error {
        Error::InvalidRequest {
            field: e.id.to_owned(),
            reason: e.to_string(),
        }
    }
}

impl From<crate::MoneyError> for Error {
    fn from(e: crate::MoneyError) -> Error {
        Error::InvalidRequest {
            field: "amount".to_owned(),
            reason: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(delivery: Delivery) -> Error {
        Error::Transport {
            kind: TransportErrorKind::ConnectionLost,
            delivery,
            message: "x".into(),
        }
    }

    #[test]
    fn classification() {
        assert!(transport(Delivery::NotSent).nothing_sent());
        assert!(!transport(Delivery::NotSent).outcome_unknown());
        assert!(transport(Delivery::MaybeDelivered).outcome_unknown());
        assert!(transport(Delivery::MaybeDelivered).is_retryable());
        let rejected = |class| Error::Rejected {
            provider: "bluepay",
            code: "21000".into(),
            message: "server error".into(),
            class,
        };
        assert!(rejected(RejectionClass::Retryable).is_retryable());
        assert!(!rejected(RejectionClass::CallerError).is_retryable());
        assert!(!rejected(RejectionClass::Retryable).outcome_unknown());
        let unknown = Error::OutcomeUnknown {
            provider: "nomad",
            reason: "HTTP 500".into(),
        };
        assert!(unknown.outcome_unknown() && unknown.is_retryable() && !unknown.nothing_sent());
        assert!(Error::invalid("amount", "must be positive").nothing_sent());
        assert!(
            !Error::Verification {
                provider: "x",
                reason: "y".into()
            }
            .is_retryable()
        );
    }

    #[test]
    fn a_refund_that_may_have_been_applied_is_unknown_and_nothing_else_is() {
        let unknown = |e: Error| {
            matches!(
                e.unknown_if_maybe_applied("bluepay"),
                Error::OutcomeUnknown {
                    provider: "bluepay",
                    ..
                }
            )
        };
        assert!(unknown(transport(Delivery::MaybeDelivered)));
        assert!(unknown(Error::MalformedResponse {
            provider: "bluepay",
            http_status: Some(200),
            reason: "not JSON".into(),
        }));
        let already = Error::OutcomeUnknown {
            provider: "bluepay",
            reason: "code 21".into(),
        };
        assert_eq!(
            already.unknown_if_maybe_applied("bluepay").to_string(),
            Error::OutcomeUnknown {
                provider: "bluepay",
                reason: "code 21".into(),
            }
            .to_string(),
            "kept as it was, not wrapped again"
        );
        assert!(!unknown(transport(Delivery::NotSent)));
        assert!(!unknown(Error::invalid("amount", "negative")));
        assert!(!unknown(Error::Rejected {
            provider: "bluepay",
            code: "21402".into(),
            message: "over the refundable amount".into(),
            class: RejectionClass::ProviderState,
        }));
    }

    #[test]
    fn an_answer_that_cannot_be_trusted_may_have_been_applied() {
        let rejected = |class| Error::Rejected {
            provider: "bluepay",
            code: "21401".into(),
            message: "refund processing".into(),
            class,
        };
        assert!(rejected(RejectionClass::Ambiguous).may_have_applied());
        assert!(rejected(RejectionClass::Ambiguous).outcome_unknown());
        assert!(
            !rejected(RejectionClass::Ambiguous).is_retryable(),
            "looked up, not resent blindly"
        );
        for class in [
            RejectionClass::Retryable,
            RejectionClass::CallerError,
            RejectionClass::ProviderState,
            RejectionClass::Authentication,
            RejectionClass::Duplicate,
        ] {
            assert!(!rejected(class).may_have_applied(), "{class:?}");
        }
        assert_eq!(
            RejectionClass::Retryable.disposition(),
            Disposition::RetrySameId
        );
        assert_eq!(
            RejectionClass::Ambiguous.disposition(),
            Disposition::Ambiguous
        );
        assert_eq!(
            RejectionClass::Duplicate.disposition(),
            Disposition::Refused
        );
        for after_an_answer in [
            Error::Verification {
                provider: "scanforpay",
                reason: "bad signature".into(),
            },
            Error::IntegrityMismatch {
                provider: "scanforpay",
                field: "orderAmount",
                expected: "1".into(),
                actual: "2".into(),
            },
            Error::MalformedResponse {
                provider: "nomad",
                http_status: Some(200),
                reason: "null refundAmount".into(),
            },
        ] {
            assert!(after_an_answer.may_have_applied());
            // A verification failure stays one, so whoever settles it knows the answers
            // cannot be trusted; every other such answer becomes an unknown outcome.
            let unknown = after_an_answer.clone().unknown_if_maybe_applied("x");
            if matches!(after_an_answer, Error::Verification { .. }) {
                assert_eq!(unknown, after_an_answer);
            } else {
                assert!(matches!(unknown, Error::OutcomeUnknown { .. }));
            }
        }
        assert!(!transport(Delivery::NotSent).may_have_applied());
        assert!(!Error::invalid("amount", "negative").may_have_applied());
    }

    #[test]
    fn messages_say_what_happened() {
        let e = Error::invalid("refund_id", "too long");
        assert_eq!(
            e.to_string(),
            "invalid request: refund_id: too long (nothing was sent)"
        );
        assert!(
            transport(Delivery::MaybeDelivered)
                .to_string()
                .contains("may have reached")
        );
    }

    #[test]
    fn provider_codes_compare_as_codes_and_key_errors_keep_their_source() {
        let code = ProviderCode::from(21_407_i64);
        assert!(code == 21_407 && code == "21407" && code.as_i64() == Some(21_407));
        assert_eq!(ProviderCode::from("FREQUENCY_LIMITED").as_i64(), None);
        #[derive(Debug)]
        struct Refused;
        impl fmt::Display for Refused {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("the backend refused the key")
            }
        }
        impl std::error::Error for Refused {}
        let error = Error::Key {
            key: "[bluepay] private key".into(),
            source: ErrorSource::new(Refused),
        };
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("the backend refused the key"));
        assert!(error.nothing_sent() && !error.may_have_applied());
        assert_eq!(error.kind_name(), "key");
        assert!(
            error
                .to_string()
                .contains("[bluepay] private key cannot be used")
        );
    }
}
