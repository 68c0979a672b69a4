//! `/_sandbox/...`: create payments, read the ledger and stats, inject faults.

use std::sync::Arc;

use paybridge_core::{Currency, Error};
use serde::{Deserialize, Serialize};

use crate::Shared;
use paybridge_core::ProviderId;
use paybridge_emulator::{Answer, CustomerAction, CustomerRefusal, Host, Payment, json};

#[derive(Deserialize)]
struct NewPayment {
    provider: String,
    amount_minor: i64,
    currency: String,
}

#[derive(Serialize)]
struct CreatedPayment<'a> {
    provider: &'a str,
    payment: &'a str,
    order_ref: &'a str,
    amount_minor: i64,
    currency: &'a str,
}

#[derive(Serialize)]
struct RefundView<'a> {
    refund_id: &'a str,
    provider_refund_id: &'a str,
    amount_minor: i64,
    status: crate::RefundState,
    attempts: u32,
}

#[derive(Serialize)]
struct PaymentView<'a> {
    provider: &'a str,
    payment: &'a str,
    order_ref: &'a str,
    currency: &'a str,
    amount_minor: i64,
    refunded_minor: i64,
    refunds: Vec<RefundView<'a>>,
}

/// A refund applied directly, as the provider's merchant portal (or another system) would.
#[derive(Deserialize)]
struct PortalRefund {
    provider: String,
    payment: String,
    refund_id: String,
    amount_minor: i64,
}

#[derive(Deserialize)]
struct CustomerRequest {
    provider: String,
    order_ref: String,
    action: String,
}

#[derive(Deserialize)]
struct BarcodeRequest {
    provider: String,
    /// The charge waits for the customer to confirm on their phone.
    #[serde(default)]
    password: bool,
}

#[derive(Deserialize)]
struct Faults {
    rate: f64,
    #[serde(default)]
    seed: u64,
}

fn problem(status: u16, message: impl Into<String>) -> Answer {
    json(status, &serde_json::json!({ "error": message.into() }))
}

/// Creates a paid payment with ids in the provider's own style.
pub(crate) fn create_payment(
    shared: &Shared,
    provider: ProviderId,
    amount_minor: i64,
    currency: Currency,
) -> Result<Payment, Error> {
    if amount_minor <= 0 {
        return Err(Error::invalid("amount_minor", "must be greater than zero"));
    }
    let Some(emulator) = shared.emulator(provider) else {
        return Err(Error::invalid(
            "provider",
            format!("{provider} is not emulated"),
        ));
    };
    if !emulator.currencies().contains(&currency) {
        return Err(Error::invalid(
            "currency",
            format!("{provider} does not take {currency}"),
        ));
    }
    let n = shared.ledger.next_number();
    let (payment, order_ref) = emulator.payment_ids(n);
    let record = Payment::new(
        provider,
        payment,
        order_ref,
        amount_minor,
        currency,
        crate::now(shared),
    );
    shared
        .ledger
        .add_payment(record)
        .map_err(|_| Error::invalid("payment", "id collision"))
}

/// Applies a refund to a payment without any client, as the provider's merchant portal would:
/// final at once, counted against the payment like any other, but sent by nobody paybridge
/// knows of. Refused (nothing recorded) where the provider's rules would refuse it.
///
/// # Errors
/// [`Error::InvalidRequest`] naming why the provider would refuse it.
pub(crate) fn refund_directly(
    shared: &Shared,
    provider: ProviderId,
    payment: &str,
    refund_id: &str,
    amount_minor: i64,
) -> Result<paybridge_emulator::RefundEntry, Error> {
    if amount_minor <= 0 {
        return Err(Error::invalid("amount_minor", "must be greater than zero"));
    }
    if refund_id.is_empty() || refund_id.len() > 64 {
        return Err(Error::invalid("refund_id", "must be 1 to 64 characters"));
    }
    let applied = shared
        .ledger
        .apply(paybridge_emulator::NewRefund {
            provider,
            payment: payment.to_owned(),
            refund_id: refund_id.to_owned(),
            amount_minor,
            callback_url: None,
            reason: Some("refunded in the provider's portal".into()),
            one_pending_at_a_time: false,
            final_at_once: true,
            max_refunds: None,
            ids_per_payment: shared
                .emulator(provider)
                .is_some_and(|e| e.refund_ids_per_payment()),
            now: crate::now(shared),
        })
        .map_err(|refusal| Error::invalid("refund", format!("{refusal:?}")))?;
    match applied {
        paybridge_emulator::Applied::New(_, entry) => {
            crate::stats::Stats::bump(&shared.stats.portal_refunds);
            Ok(entry)
        }
        paybridge_emulator::Applied::Duplicate(..) => Err(Error::invalid(
            "refund_id",
            format!("{refund_id} already names a refund of {provider}"),
        )),
    }
}

/// `POST /_sandbox/customer`: the customer pays a pending payment (and the provider sends its
/// notification), or walks away from it.
fn customer(shared: &Arc<Shared>, body: &[u8]) -> Answer {
    let Ok(request) = serde_json::from_slice::<CustomerRequest>(body) else {
        return problem(
            400,
            r#"expected {"provider", "order_ref", "action": "pay" | "abandon"}"#,
        );
    };
    let Some(provider) = ProviderId::parse(&request.provider) else {
        return problem(400, format!("unknown provider {:?}", request.provider));
    };
    let action = match request.action.as_str() {
        "pay" => CustomerAction::Pay,
        "abandon" => CustomerAction::Abandon,
        other => return problem(400, format!("unknown action {other:?}: pay or abandon")),
    };
    match customer_acts(shared, provider, &request.order_ref, action) {
        Ok(payment) => json(
            200,
            &serde_json::json!({
                "provider": provider.name(),
                "order_ref": payment.order_ref,
                "payment": payment.payment,
                "paid": payment.paid,
                "abandoned": payment.abandoned,
            }),
        ),
        Err(refusal) => problem(409, format!("{refusal:?}")),
    }
}

/// What the customer does, recorded in the ledger; a payment paid is notified the provider's
/// way and counted.
pub(crate) fn customer_acts(
    shared: &Arc<Shared>,
    provider: ProviderId,
    order_ref: &str,
    action: CustomerAction,
) -> Result<Payment, CustomerRefusal> {
    let Some(emulator) = shared.emulator(provider) else {
        return Err(CustomerRefusal::NotFound);
    };
    let payment = shared
        .ledger
        .customer(provider, order_ref, action, crate::now(shared))?;
    if action == CustomerAction::Pay {
        crate::stats::Stats::bump(&shared.stats.customer_payments);
        let host = crate::host::SandboxHost(Arc::clone(shared));
        if let Some(delivery) = emulator.payment_notification(&host, &payment) {
            host.deliver(delivery);
        }
    } else {
        crate::stats::Stats::bump(&shared.stats.customer_abandons);
    }
    Ok(payment)
}

pub(crate) fn handle(
    shared: &Arc<Shared>,
    parts: &http::request::Parts,
    rest: &str,
    body: &[u8],
) -> Answer {
    let method = &parts.method;
    match (method.as_str(), rest) {
        ("POST", "payments") => {
            let Ok(request) = serde_json::from_slice::<NewPayment>(body) else {
                return problem(400, r#"expected {"provider", "amount_minor", "currency"}"#);
            };
            let Some(provider) = ProviderId::parse(&request.provider) else {
                return problem(400, format!("unknown provider {:?}", request.provider));
            };
            let Ok(currency) = Currency::from_code(&request.currency) else {
                return problem(400, format!("unknown currency {:?}", request.currency));
            };
            match create_payment(shared, provider, request.amount_minor, currency) {
                Ok(p) => json(
                    201,
                    &CreatedPayment {
                        provider: provider.name(),
                        payment: &p.payment,
                        order_ref: &p.order_ref,
                        amount_minor: p.amount_minor,
                        currency: p.currency.code(),
                    },
                ),
                Err(e) => problem(400, e.to_string()),
            }
        }
        ("POST", "refunds") => {
            let Ok(request) = serde_json::from_slice::<PortalRefund>(body) else {
                return problem(
                    400,
                    r#"expected {"provider", "payment", "refund_id", "amount_minor"}"#,
                );
            };
            let Some(provider) = ProviderId::parse(&request.provider) else {
                return problem(400, format!("unknown provider {:?}", request.provider));
            };
            match refund_directly(
                shared,
                provider,
                &request.payment,
                &request.refund_id,
                request.amount_minor,
            ) {
                Ok(entry) => json(
                    201,
                    &RefundView {
                        refund_id: &entry.refund_id,
                        provider_refund_id: &entry.provider_refund_id,
                        amount_minor: entry.amount_minor,
                        status: entry.status,
                        attempts: entry.attempts,
                    },
                ),
                Err(e) => problem(409, e.to_string()),
            }
        }
        ("POST", "customer") => customer(shared, body),
        ("POST", "customer/barcode") => {
            let Ok(request) = serde_json::from_slice::<BarcodeRequest>(body) else {
                return problem(400, r#"expected {"provider", "password"?: bool}"#);
            };
            let Some(provider) = ProviderId::parse(&request.provider) else {
                return problem(400, format!("unknown provider {:?}", request.provider));
            };
            let Some(prefix) = shared.emulator(provider).and_then(|e| e.auth_code_prefix()) else {
                return problem(400, format!("{provider} takes no barcode payments"));
            };
            let code = shared
                .ledger
                .issue_auth_code(provider, prefix, request.password);
            json(
                201,
                &serde_json::json!({ "provider": provider.name(), "auth_code": code, "password": request.password }),
            )
        }
        ("GET", "stats") => json(200, &shared.stats.snapshot()),
        ("POST", path) if path.starts_with("notifications/") => {
            // The sink the written config points notification URLs at: records what arrives
            // and acknowledges it the provider's way, so deliveries stop.
            let name = path.trim_start_matches("notifications/");
            let Some(provider) = ProviderId::parse(name) else {
                return problem(404, "use /_sandbox/notifications/{provider}");
            };
            shared
                .sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .entry(provider.name().to_owned())
                .or_default()
                .push(bytes::Bytes::copy_from_slice(body));
            match shared.emulator(provider) {
                Some(emulator) => emulator.acknowledgement(),
                None => problem(404, "no such provider"),
            }
        }
        ("GET", path) if path.starts_with("notifications/") => {
            let name = path.trim_start_matches("notifications/");
            let received = shared
                .sink
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(name)
                .map_or(0, Vec::len);
            json(
                200,
                &serde_json::json!({ "provider": name, "received": received }),
            )
        }
        ("GET", "faults") => {
            let (rate, seed) = shared.faults.settings();
            json(200, &serde_json::json!({ "rate": rate, "seed": seed }))
        }
        ("POST", "faults") => match serde_json::from_slice::<Faults>(body) {
            Ok(f) if (0.0..=1.0).contains(&f.rate) => {
                shared.faults.configure(f.rate, f.seed);
                json(200, &serde_json::json!({ "rate": f.rate, "seed": f.seed }))
            }
            _ => problem(400, r#"expected {"rate": 0..1, "seed": N}"#),
        },
        ("GET", path) if path.starts_with("payments/") => {
            let mut it = path.trim_start_matches("payments/").splitn(2, '/');
            let (Some(provider), Some(reference)) =
                (it.next().and_then(ProviderId::parse), it.next())
            else {
                return problem(404, "use /_sandbox/payments/{provider}/{payment}");
            };
            match shared.ledger.payment(provider, reference) {
                Some(p) => json(
                    200,
                    &PaymentView {
                        provider: provider.name(),
                        payment: &p.payment,
                        order_ref: &p.order_ref,
                        currency: p.currency.code(),
                        amount_minor: p.amount_minor,
                        refunded_minor: p.refunded_minor(),
                        refunds: p
                            .refunds
                            .iter()
                            .map(|r| RefundView {
                                refund_id: &r.refund_id,
                                provider_refund_id: &r.provider_refund_id,
                                amount_minor: r.amount_minor,
                                status: r.status,
                                attempts: r.attempts,
                            })
                            .collect(),
                    },
                ),
                None => problem(404, "no such payment"),
            }
        }
        _ => problem(404, "unknown control endpoint"),
    }
}
