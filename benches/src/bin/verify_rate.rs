//! `verify_rate BACKEND SECONDS`: RSA-2048 SHA256withRSA verifications per second on one core,
//! over a 32-byte message with the key as paybridge keeps it — the figure `cargo xtask bench`
//! sets beside `openssl speed rsa2048`'s verify/s, measured in alternating rounds so that both
//! see the same machine.
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

use paybridge_benches::test_key;
use paybridge_sign::{Backend, RsaPrivateKey, RsaPublicKey};

fn main() {
    let mut args = std::env::args().skip(1);
    let backend = match args.next().as_deref() {
        Some("ring") => Backend::Ring,
        Some("aws_lc") => Backend::AwsLc,
        other => panic!("usage: verify_rate ring|aws_lc SECONDS (got {other:?})"),
    };
    let seconds: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let private = RsaPrivateKey::from_bytes(&test_key("rsa2048.pkcs8.pem")).unwrap();
    let public = RsaPublicKey::from_bytes_with(backend, &test_key("rsa2048.spki.pem")).unwrap();
    let message = [7u8; 32];
    let signature = private.sign(&message).unwrap();
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut count: u64 = 0;
    while started.elapsed() < budget {
        for _ in 0..64 {
            public
                .verify(black_box(&message), black_box(&signature))
                .expect("the signature verifies");
        }
        count += 64;
    }
    let rate = u32::try_from(count).map_or(f64::MAX, f64::from) / started.elapsed().as_secs_f64();
    println!("{rate:.1}");
}
