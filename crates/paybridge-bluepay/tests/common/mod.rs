//! Shared fixtures: test keys, a client over a scripted transport, openssl helpers.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stderr
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use paybridge_bluepay::{BluePayClient, BluePayConfig};
use paybridge_core::test_util::{FixedClock, SequentialIdGenerator};
use paybridge_sign::{RsaPrivateKey, RsaPublicKey};
use paybridge_transport::test_util::MockTransport;

pub const APP_ID: &str = "733b887a4a784708bb369524db5b6ded";
pub const NOW: i64 = 1_722_415_059;
pub const BASE: &str = "https://api.bluepay.test";

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

pub fn merchant_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("merchant.pem")).unwrap()).unwrap()
}
pub fn merchant_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("merchant.pub.pem")).unwrap()).unwrap()
}
pub fn platform_key() -> RsaPrivateKey {
    RsaPrivateKey::from_bytes(&std::fs::read(data("platform.pem")).unwrap()).unwrap()
}
pub fn platform_public() -> RsaPublicKey {
    RsaPublicKey::from_bytes(&std::fs::read(data("platform.pub.pem")).unwrap()).unwrap()
}

pub use paybridge_transport::test_util::fast_retry;

pub fn client(transport: MockTransport) -> BluePayClient<MockTransport> {
    let config = {
        let mut value = BluePayConfig::new(BASE, APP_ID, merchant_key(), platform_public());
        value.refund_callback_url = Some("https://merchant.test/bluepay/refunds".into());
        value.retry = fast_retry();
        value
    };
    BluePayClient::new(config, transport).unwrap().with_sources(
        Arc::new(FixedClock::new(NOW)),
        Arc::new(SequentialIdGenerator::starting_at(1)),
    )
}

pub use paybridge_transport::test_util::openssl_available as openssl;

/// `openssl dgst -sha256 -sign KEY` over `message`, base64.
pub fn openssl_sign(key: &Path, message: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!(
        "pb-bluepay-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let msg = dir.join("msg");
    std::fs::write(&msg, message).unwrap();
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .arg(&msg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
    paybridge_sign::base64_encode(&out.stdout)
}

/// `openssl dgst -sha256 -verify PUB -signature SIG` over `message`.
pub fn openssl_verify(public: &Path, message: &[u8], signature_b64: &str) -> bool {
    let dir = std::env::temp_dir().join(format!(
        "pb-bluepay-v-{}-{}",
        std::process::id(),
        rand_suffix()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (msg, sig) = (dir.join("msg"), dir.join("sig"));
    std::fs::write(&msg, message).unwrap();
    std::fs::write(&sig, paybridge_sign::base64_decode(signature_b64).unwrap()).unwrap();
    let ok = Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .output()
        .unwrap()
        .status
        .success();
    std::fs::remove_dir_all(&dir).ok();
    ok
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish()
}
