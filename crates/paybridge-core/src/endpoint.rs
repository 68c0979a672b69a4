//! One call of a provider's API, described once: where it goes, what it answers with, and
//! whether it applies something. Every provider crate's request types implement it, so a codec
//! and a client are written against the same shape in each.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A provider call: its request type is `Self`.
pub trait Endpoint: Serialize {
    /// The path below the merchant's base URL.
    const PATH: &'static str;
    /// What a successful answer holds (BluePay's `data`, ScanForPay's response body).
    type Response: DeserializeOwned;
    /// Whether the call moves money or creates something (a refund, a payout, a payment page).
    /// Then a refusal after an attempt that may have been applied proves nothing, and the
    /// client reports the outcome unknown instead; a call that only reads says `false`.
    const APPLIES: bool = false;
}
