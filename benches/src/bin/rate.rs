//! `rate OPERATION BACKEND SECONDS`: how many times per second one core runs OPERATION on
//! `ring` or `aws_lc`. `rate pair A B BACKEND SECONDS`: A and B in alternating batches of 16 for
//! SECONDS in all, printing both rates — the two sides of a ratio measured in the same
//! milliseconds, so a neighbour's load falls on both alike.
//!
//! Operations: `sign-pipeline` (BluePay's codec: typed refund → canonical JSON → RSA → base64 →
//! envelope request), `sign-primitive` (the bare RSA sign of the same bytes), `verify-pipeline`
//! (a raw notification body verified over its `param` and parsed), `verify-primitive` (the bare
//! verify), `verify-short` (a verify over 32 bytes, like `openssl speed`'s input),
//! `wechatpay-sign-pipeline` (a WeChat Pay refund request signed into its `Authorization`
//! header), `wechatpay-sign-primitive` (the bare sign of the same message),
//! `wechatpay-notify-open` (a notification verified over its raw body and headers and its
//! resource decrypted), `wechatpay-notify-pipeline` (the same, and the refund inside read into
//! its typed form) and `wechatpay-notify-primitive` (the bare verify of the same
//! message plus the bare AES-256-GCM open of the same ciphertext), `alipay-sign-pipeline` (an
//! Alipay refund signed into its form), `alipay-sign-primitive` (the bare sign of the same
//! sorted text), `alipay-verify-pipeline` (a reply's `…_response` value found in the raw text,
//! verified and read) and `alipay-verify-primitive` (the bare verify of the same bytes).
//! `verify-reparsed` is `verify-primitive` with aws-lc-rs parsing the key on every call, as
//! before keys were kept parsed. `scanforpay-sign-pipeline` (ScanForPay's codec: typed refund →
//! canonical JSON → keyed SHA-256 → envelope) runs against `scanforpay-sign-baseline`
//! (`serde_json` and the same hash). `transport-roundtrip` (a 300-byte POST to a loopback hyper
//! server through `HyperTransport`) runs against `transport-raw-hyper` (a bare hyper-util client).
//!
//! `canonical-small` / `canonical-4k` write the refund document, declared with its fields out
//! of canonical order, as RFC 8785 canonical JSON; `serde-json-small` / `serde-json-4k` write it
//! with `serde_json` (unsorted), the baseline. `canonical-sorted-*` / `serde-json-sorted-*` do
//! the same for the document declared in canonical order, as wire types are.
//! `canonical-value-4k` walks it as a `serde_json::Value` (`canonical::value_to_vec`),
//! `canonical-value-serde-4k` serializes that `Value` through serde (`canonical::to_vec`), and
//! `serde-json-value-4k` writes it with `serde_json`. The backend argument is not used by these.
//!
//! `cargo xtask bench` runs these; criterion's sequential windows drifted by more than the 3% and
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

use paybridge_benches::{RefundNotificationParam, alipay, bluepay_refund, test_key, wechatpay};
use paybridge_bluepay::Codec;
use paybridge_sign::{Backend, RsaPrivateKey, RsaPublicKey, canonical};

type Operation = Box<dyn FnMut()>;

/// Runs `op` for `seconds`, in batches of 16, and returns runs per second.
fn rate(seconds: f64, op: &mut Operation) -> f64 {
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

/// Runs `a` and `b` in alternating batches of 16 for `seconds` in all; each one's runs per
/// second of its own time.
fn pair(seconds: f64, a: &mut Operation, b: &mut Operation) -> (f64, f64) {
    let budget = Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let (mut time_a, mut time_b) = (Duration::ZERO, Duration::ZERO);
    let mut batches = 0u32;
    while started.elapsed() < budget {
        let t = Instant::now();
        for _ in 0..16 {
            a();
        }
        time_a += t.elapsed();
        let t = Instant::now();
        for _ in 0..16 {
            b();
        }
        time_b += t.elapsed();
        batches += 1;
    }
    let runs = f64::from(batches * 16);
    (runs / time_a.as_secs_f64(), runs / time_b.as_secs_f64())
}

fn operation(name: &str, backend: Backend) -> Operation {
    let private = RsaPrivateKey::from_bytes_with(backend, &test_key("rsa2048.pkcs8.pem")).unwrap();
    let public = RsaPublicKey::from_bytes_with(backend, &test_key("rsa2048.spki.pem")).unwrap();
    match name {
        "sign-pipeline" => {
            let codec = Codec::new(
                "https://api.bluepay.test",
                "733b887a4a784708bb369524db5b6ded",
                private,
                public,
            )
            .unwrap();
            let refund = bluepay_refund();
            Box::new(move || {
                black_box(codec.encode_at(black_box(&refund), 1_722_415_059).unwrap());
            })
        }
        "sign-primitive" => {
            let param = canonical::to_vec(&bluepay_refund()).unwrap();
            let mut signature = vec![0u8; private.signature_len()];
            Box::new(move || {
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
            if name == "verify-pipeline" {
                Box::new(move || {
                    black_box(
                        paybridge_bluepay::verify_notification(&public, black_box(&body)).unwrap(),
                    );
                })
            } else {
                Box::new(move || {
                    public
                        .verify(black_box(param.as_bytes()), black_box(&signature))
                        .unwrap();
                })
            }
        }
        "verify-reparsed" => {
            // What every verification cost before the key was kept parsed: aws-lc-rs parsing
            // the PKCS#1 key each time (the backend argument is not used).
            let param = serde_json::to_string(&RefundNotificationParam::sample()).unwrap();
            let signature = private.sign(param.as_bytes()).unwrap();
            let pkcs1 = public.pkcs1_der().to_vec();
            Box::new(move || {
                aws_lc_rs::signature::UnparsedPublicKey::new(
                    &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
                    black_box(&pkcs1),
                )
                .verify(black_box(param.as_bytes()), black_box(&signature))
                .unwrap();
            })
        }
        "scanforpay-sign-pipeline" => {
            let (codec, body) = paybridge_benches::scanforpay_codec();
            let at = paybridge_core::Timestamp::from_unix(1_532_513_165).unwrap();
            Box::new(move || {
                black_box(
                    codec
                        .encode_with(black_box(&body), "fd03f269318045758af08f6cf324fb0f", at)
                        .unwrap(),
                );
            })
        }
        "scanforpay-sign-baseline" => {
            let fixture = paybridge_benches::scanforpay_refund();
            Box::new(move || {
                let bytes = serde_json::to_vec(black_box(&fixture)).unwrap();
                black_box(paybridge_sign::sha256_keyed_hex(
                    &bytes,
                    paybridge_benches::SCANFORPAY_KEY.as_bytes(),
                ));
            })
        }
        "transport-roundtrip" | "transport-raw-hyper" => transport_roundtrip(name),
        "verify-short" => {
            let message = [7u8; 32];
            let signature = private.sign(&message).unwrap();
            Box::new(move || {
                public
                    .verify(black_box(&message), black_box(&signature))
                    .unwrap();
            })
        }
        "wechatpay-sign-pipeline" => {
            let codec = wechatpay::codec(backend);
            let refund = wechatpay::refund();
            Box::new(move || {
                black_box(
                    codec
                        .encode_with(
                            black_box(&refund),
                            1_554_208_460,
                            "593BEC0C930BF1AFEB40B4A08C8FB242",
                        )
                        .unwrap(),
                );
            })
        }
        "wechatpay-sign-primitive" => {
            // The bare RSA sign of the very message the pipeline signs.
            let body = serde_json::to_vec(&wechatpay::refund()).unwrap();
            let message = paybridge_wechatpay::signing_message(
                "POST",
                "/v3/refund/domestic/refunds",
                1_554_208_460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                &body,
            );
            let mut signature = vec![0u8; private.signature_len()];
            Box::new(move || {
                private
                    .sign_into(black_box(&message), &mut signature)
                    .unwrap();
            })
        }
        "wechatpay-notify-open" => {
            let notification = wechatpay::notification(backend);
            let codec = wechatpay::codec(backend);
            let now = paybridge_core::Timestamp::from_unix(wechatpay::NOW).unwrap();
            Box::new(move || {
                black_box(
                    codec
                        .open_notification_at(
                            black_box(&notification.headers),
                            black_box(&notification.body),
                            now,
                        )
                        .unwrap(),
                );
            })
        }
        "wechatpay-notify-pipeline" => {
            let notification = wechatpay::notification(backend);
            let codec = wechatpay::codec(backend);
            let now = paybridge_core::Timestamp::from_unix(wechatpay::NOW).unwrap();
            Box::new(move || {
                black_box(
                    codec
                        .verify_notification_at(
                            black_box(&notification.headers),
                            black_box(&notification.body),
                            now,
                        )
                        .unwrap(),
                );
            })
        }
        "wechatpay-notify-primitive" => {
            // The bare verify of the same message plus the bare AES-GCM open of the same
            // ciphertext (into a copy, as any open of a received buffer needs).
            let notification = wechatpay::notification(backend);
            let key =
                paybridge_sign::Aes256GcmKey::new_with(backend, wechatpay::APIV3_KEY.as_bytes())
                    .unwrap();
            let mut buffer = notification.sealed.clone();
            Box::new(move || {
                public
                    .verify(
                        black_box(&notification.message),
                        black_box(&notification.signature),
                    )
                    .unwrap();
                buffer.copy_from_slice(&notification.sealed);
                black_box(
                    key.open_in_place(wechatpay::NONCE.as_bytes(), b"refund", &mut buffer)
                        .unwrap()
                        .len(),
                );
            })
        }
        "alipay-sign-pipeline" => {
            let codec = alipay::codec(backend);
            let refund = alipay::refund();
            let at = paybridge_core::Timestamp::from_unix(alipay::NOW).unwrap();
            Box::new(move || {
                black_box(codec.encode_at(black_box(&refund), at).unwrap());
            })
        }
        "alipay-sign-primitive" => {
            // The bare RSA sign of the very text the pipeline signs.
            let codec = alipay::codec(backend);
            let biz = serde_json::to_string(&alipay::refund()).unwrap();
            let at = paybridge_core::Timestamp::from_unix(alipay::NOW).unwrap();
            let params = codec
                .signed_params("alipay.trade.refund", &biz, None, at)
                .unwrap();
            let content = paybridge_alipay::sign_content(
                params
                    .iter()
                    .filter(|(k, _)| *k != "sign")
                    .map(|(k, v)| (*k, v.as_str())),
            );
            let mut signature = vec![0u8; private.signature_len()];
            Box::new(move || {
                private
                    .sign_into(black_box(content.as_bytes()), &mut signature)
                    .unwrap();
            })
        }
        "alipay-verify-pipeline" => {
            let codec = alipay::codec(backend);
            let (body, _) = alipay::reply(backend);
            Box::new(move || {
                black_box(
                    codec
                        .decode_reply::<paybridge_alipay::wire::responses::TradeRefundResponse>(
                            "alipay.trade.refund",
                            http::StatusCode::OK,
                            black_box(&body),
                        )
                        .unwrap(),
                );
            })
        }
        "alipay-verify-primitive" => {
            let (_, signature) = alipay::reply(backend);
            Box::new(move || {
                public
                    .verify(black_box(alipay::RAW.as_bytes()), black_box(&signature))
                    .unwrap();
            })
        }
        "canonical-small" | "canonical-4k" | "serde-json-small" | "serde-json-4k" => {
            json_writer(name, refund_document(name))
        }
        "canonical-sorted-small"
        | "canonical-sorted-4k"
        | "serde-json-sorted-small"
        | "serde-json-sorted-4k" => json_writer(
            name,
            paybridge_benches::SortedRefundDocument::from(&refund_document(name)),
        ),
        "canonical-value-serde-4k" | "serde-json-value-4k" => {
            json_writer(name, serde_json::to_value(refund_document(name)).unwrap())
        }
        "canonical-value-4k" => {
            let doc = serde_json::to_value(refund_document(name)).unwrap();
            Box::new(move || {
                black_box(canonical::value_to_vec(black_box(&doc)).unwrap());
            })
        }
        other => panic!("unknown operation {other:?}"),
    }
}

/// The refund document of the size an operation's name ends with (`4k`, else small).
fn refund_document(name: &str) -> paybridge_benches::RefundDocument {
    if name.ends_with("4k") {
        paybridge_benches::document_of_size(4 * 1024)
    } else {
        paybridge_benches::small_document()
    }
}

/// Writes `doc` canonically (operations named `canonical-…`) or with `serde_json`.
fn json_writer<T: serde::Serialize + 'static>(name: &str, doc: T) -> Operation {
    if name.starts_with("canonical") {
        Box::new(move || {
            black_box(canonical::to_vec(black_box(&doc)).unwrap());
        })
    } else {
        Box::new(move || {
            black_box(serde_json::to_vec(black_box(&doc)).unwrap());
        })
    }
}

fn backend(name: Option<&str>) -> Backend {
    match name {
        Some("ring") => Backend::Ring,
        Some("aws_lc") => Backend::AwsLc,
        other => panic!(
            "usage: rate OPERATION ring|aws_lc SECONDS | rate pair A B ring|aws_lc SECONDS (got {other:?})"
        ),
    }
}

/// The runtime and loopback server both transport operations use.
struct Loopback {
    runtime: tokio::runtime::Runtime,
    uri: http::Uri,
}

/// One runtime and server for the process: a pair's two sides then differ only in the client.
/// The runtime is single-threaded, so a round trip is the work of both ends and no thread
/// hand-over (whose wake-up latency swung a pair's ratio from 0.65 to 1.74).
fn loopback() -> &'static Loopback {
    static LOOPBACK: std::sync::OnceLock<Loopback> = std::sync::OnceLock::new();
    LOOPBACK.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let addr = runtime.block_on(paybridge_benches::loopback::server());
        let uri = format!("http://{addr}/bluepay/open-api/payment/refund")
            .parse()
            .unwrap();
        Loopback { runtime, uri }
    })
}

/// A 300-byte POST to a loopback hyper server and its answer read whole: through
/// `HyperTransport` (`transport-roundtrip`) or a bare hyper-util client (`transport-raw-hyper`).
fn transport_roundtrip(name: &str) -> Operation {
    use http_body_util::{BodyExt, Full};
    use paybridge_benches::loopback::{RESPONSE, body_300, request};
    use paybridge_transport::{HyperTransport, Transport, TransportConfig};

    let Loopback { runtime, uri } = loopback();
    let body = body_300();
    if name == "transport-roundtrip" {
        let transport =
            runtime.block_on(async { HyperTransport::new(TransportConfig::default()).unwrap() });
        Box::new(move || {
            runtime.block_on(async {
                let response = transport
                    .send(black_box(request(uri, &body)))
                    .await
                    .unwrap();
                assert_eq!(response.body().len(), RESPONSE.len());
            });
        })
    } else {
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_nodelay(true);
        let raw: hyper_util::client::legacy::Client<_, Full<bytes::Bytes>> =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Box::new(move || {
            runtime.block_on(async {
                let (parts, bytes) = black_box(request(uri, &body)).into_parts();
                let response = raw
                    .request(http::Request::from_parts(parts, Full::new(bytes)))
                    .await
                    .unwrap();
                let bytes = response.into_body().collect().await.unwrap().to_bytes();
                assert_eq!(bytes.len(), RESPONSE.len());
            });
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    if arg(0) == Some("pair") {
        let backend = backend(arg(3));
        let seconds: f64 = arg(4).and_then(|s| s.parse().ok()).unwrap_or(1.0);
        let mut a = operation(arg(1).unwrap_or_default(), backend);
        let mut b = operation(arg(2).unwrap_or_default(), backend);
        // Warm both up before measuring.
        pair(0.2, &mut a, &mut b);
        let (rate_a, rate_b) = pair(seconds, &mut a, &mut b);
        println!("{rate_a:.1} {rate_b:.1}");
    } else {
        let backend = backend(arg(1));
        let seconds: f64 = arg(2).and_then(|s| s.parse().ok()).unwrap_or(1.0);
        let mut op = operation(arg(0).unwrap_or_default(), backend);
        println!("{:.1}", rate(seconds, &mut op));
    }
}
