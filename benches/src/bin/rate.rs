//! `rate OPERATION BACKEND SECONDS`: how many times per second one core runs OPERATION —
//! `sign-pipeline` (BluePay's codec: typed refund → canonical JSON → RSA → base64 → envelope
//! request), `sign-primitive` (the bare RSA sign of the same bytes), `verify-pipeline` (a raw
//! notification body verified over its `param` and parsed), `verify-primitive` (the bare
//! verify), `verify-short` (a verify over 32 bytes, like `openssl speed`'s input) — on `ring`
//! or `aws_lc`.
//!
//! `cargo xtask bench` runs pairs of these in alternating rounds, so a neighbour's load falls on
//! both sides of a ratio alike; criterion's sequential windows drifted by more than the 3% and
//! 10% goals on this shared machine.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::float_arithmetic,
    reason = "a measuring tool, not library code"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use paybridge_benches::{RefundNotificationParam, bluepay_refund, test_key};
use paybridge_bluepay::Codec;
use paybridge_sign::{Backend, RsaPrivateKey, RsaPublicKey, canonical};

/// Runs `op` for `seconds`, in batches of 16, and returns runs per second.
fn rate(seconds: f64, mut op: impl FnMut()) -> f64 {
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut count = 0u32;
    while started.elapsed() < budget {
        for _ in 0..16 {
            op();
        }
        count += 16;
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let operation = args.next().unwrap_or_default();
    let backend = match args.next().as_deref() {
        Some("ring") => Backend::Ring,
        Some("aws_lc") => Backend::AwsLc,
        other => panic!("usage: rate OPERATION ring|aws_lc SECONDS (got {other:?})"),
    };
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let private = RsaPrivateKey::from_bytes_with(backend, &test_key("rsa2048.pkcs8.pem")).unwrap();
    let public = RsaPublicKey::from_bytes_with(backend, &test_key("rsa2048.spki.pem")).unwrap();
    let per_second = match operation.as_str() {
        "sign-pipeline" => {
            let codec = Codec::new(
                "https://api.bluepay.test",
                "733b887a4a784708bb369524db5b6ded",
                RsaPrivateKey::from_bytes_with(backend, &test_key("rsa2048.pkcs8.pem")).unwrap(),
                public.clone(),
            )
            .unwrap();
            let refund = bluepay_refund();
            rate(seconds, || {
                black_box(codec.encode_at(black_box(&refund), 1_722_415_059).unwrap());
            })
        }
        "sign-primitive" => {
            let param = canonical::to_vec(&bluepay_refund()).unwrap();
            let mut signature = vec![0u8; private.signature_len()];
            rate(seconds, || {
                private
                    .sign_into(black_box(&param), &mut signature)
                    .unwrap();
            })
        }
        "verify-pipeline" | "verify-primitive" => {
            let param = serde_json::to_string(&RefundNotificationParam::sample()).unwrap();
            let sign = private.sign_base64(param.as_bytes()).unwrap();
            let signature = private.sign(param.as_bytes()).unwrap();
            let body =
                serde_json::to_vec(&serde_json::json!({"param": param, "sign": sign})).unwrap();
            if operation == "verify-pipeline" {
                rate(seconds, || {
                    black_box(
                        paybridge_bluepay::verify_notification(&public, black_box(&body)).unwrap(),
                    );
                })
            } else {
                rate(seconds, || {
                    public
                        .verify(black_box(param.as_bytes()), black_box(&signature))
                        .unwrap();
                })
            }
        }
        "verify-short" => {
            let message = [7u8; 32];
            let signature = private.sign(&message).unwrap();
            rate(seconds, || {
                public
                    .verify(black_box(&message), black_box(&signature))
                    .unwrap();
            })
        }
        other => panic!("unknown operation {other:?}"),
    };
    println!("{per_second:.1}");
}
