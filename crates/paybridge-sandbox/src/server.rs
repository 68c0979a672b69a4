//! The listener, the router, and the fault wrapper around provider calls.

use std::fmt;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use paybridge_core::Error;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::faults::FaultKind;
use crate::host::SandboxHost;
use crate::stats::Stats;
use crate::{Credentials, Quirks, SandboxConfig, SandboxHandle, Shared, control, notify};
use paybridge_core::ProviderId;
use paybridge_emulator::{Answer, Emulator, bytes};

/// Returned by the service to make hyper close the connection without answering.
#[derive(Debug)]
pub(crate) struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

/// The largest request body read.
const MAX_BODY: usize = 1 << 20;

pub(crate) async fn start(mut config: SandboxConfig) -> Result<SandboxHandle, Error> {
    if !config.allow_non_loopback && !config.listen.ip().is_loopback() {
        return Err(Error::Config {
            reason: format!(
                "the sandbox listens on loopback addresses only, not {}",
                config.listen
            ),
        });
    }
    let credentials = match config.credentials.take() {
        Some(credentials) => credentials,
        None => tokio::task::spawn_blocking(crate::Credentials::generate)
            .await
            .map_err(|e| Error::Config {
                reason: format!("key generation stopped: {e}"),
            })??,
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| Error::Config {
            reason: format!("cannot listen on {}: {e}", config.listen),
        })?;
    let addr = listener.local_addr().map_err(|e| Error::Config {
        reason: e.to_string(),
    })?;
    let mut own_ports = Vec::new();
    if config.listen_per_provider {
        for provider in ProviderId::ALL {
            let listener = TcpListener::bind((config.listen.ip(), 0))
                .await
                .map_err(|e| Error::Config {
                    reason: format!("cannot listen for {provider}: {e}"),
                })?;
            let url = listener
                .local_addr()
                .map(|a| format!("http://{a}"))
                .map_err(|e| Error::Config {
                    reason: e.to_string(),
                })?;
            own_ports.push((provider, listener, url));
        }
    }
    let faults =
        crate::FaultInjector::new(config.fault_rate, config.fault_seed, config.fault_delay);
    let shared = Arc::new(Shared {
        emulators: emulators(&credentials, config.quirks)?,
        credentials: Arc::new(credentials),
        ledger: crate::Ledger::default(),
        stats: Stats::default(),
        faults,
        clock: crate::system_clock(),
        http: notify::client(),
        base_url: format!("http://{addr}"),
        provider_urls: own_ports
            .iter()
            .map(|(p, _, url)| (*p, url.clone()))
            .collect(),
        sink: std::sync::Mutex::default(),
        config,
    });
    let (stop, stopped) = watch::channel(false);
    let mut loops = tokio::task::JoinSet::new();
    loops.spawn(accept_loop(
        listener,
        Arc::clone(&shared),
        stopped.clone(),
        None,
    ));
    for (provider, listener, _) in own_ports {
        loops.spawn(accept_loop(
            listener,
            Arc::clone(&shared),
            stopped.clone(),
            Some(provider),
        ));
    }
    let task = tokio::spawn(async move { while loops.join_next().await.is_some() {} });
    tracing::info!(%addr, "sandbox listening");
    Ok(SandboxHandle {
        addr,
        shared,
        stop,
        task: Some(task),
    })
}

/// Serves `listener`: every provider under its path prefix, or (`only`) one provider at the
/// root, as its own host.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    only: Option<ProviderId>,
) {
    loop {
        tokio::select! {
            _ = stopped.changed() => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let shared = Arc::clone(&shared);
                let mut stopped = stopped.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(Arc::clone(&shared), request, only));
                    let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = connection => {}
                        _ = stopped.changed() => {}
                    }
                });
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: http::Request<hyper::body::Incoming>,
    only: Option<ProviderId>,
) -> Result<Answer, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(bytes(413, "text/plain", b"request body too large".to_vec())),
    };
    let path = parts.uri.path().to_owned();
    if let Some(rest) = path.strip_prefix("/_sandbox/") {
        return Ok(control::handle(&shared, &parts, rest, &body));
    }
    let (provider, rest) = match only {
        Some(provider) => (Some(provider), path.clone()),
        None => {
            let mut segments = path.trim_start_matches('/').splitn(2, '/');
            let provider = segments.next().and_then(ProviderId::parse);
            (provider, format!("/{}", segments.next().unwrap_or("")))
        }
    };
    let Some(provider) = provider else {
        return Ok(bytes(
            404,
            "text/plain",
            b"no such provider; use /bluepay, /nomad, /scanforpay, /wechatpay or /alipay".to_vec(),
        ));
    };
    Stats::bump(&shared.stats.requests);
    let fault = shared.faults.next();
    if let Some(kind) = fault {
        shared.stats.fault(kind);
    }
    match fault {
        Some(FaultKind::DropBeforeApply) => return Err(Dropped),
        Some(FaultKind::ServerError) => {
            return Ok(bytes(
                503,
                "text/html",
                b"<html><body><h1>503 Service Unavailable</h1></body></html>".to_vec(),
            ));
        }
        _ => {}
    }
    let Some(emulator) = shared.emulator(provider).cloned() else {
        return Ok(bytes(404, "text/plain", b"no such provider".to_vec()));
    };
    let answer = emulator.handle(&SandboxHost(Arc::clone(&shared)), &parts, &rest, &body);
    match fault {
        Some(FaultKind::DropAfterApply) => Err(Dropped),
        Some(FaultKind::Delay) => {
            tokio::time::sleep(shared.faults.delay).await;
            Ok(answer)
        }
        _ => Ok(answer),
    }
}

/// Every provider's emulator, for the credentials the sandbox hands out.
fn emulators(credentials: &Credentials, quirks: Quirks) -> Result<Vec<Arc<dyn Emulator>>, Error> {
    let platform_key = paybridge_sign::RsaPrivateKey::from_bytes(
        credentials.bluepay_platform.private_pem().as_bytes(),
    )
    .map_err(|e| Error::Config {
        reason: format!("the sandbox's BluePay platform key: {e}"),
    })?;
    Ok(vec![
        Arc::new(paybridge_bluepay::emulator::BluePayEmulator::new(
            credentials.bluepay_app_id.clone(),
            credentials.bluepay_merchant.public.clone(),
            platform_key,
            quirks.bluepay_processing,
        )),
        Arc::new(paybridge_nomad::emulator::NomadEmulator::new(
            credentials.nomad_merchant.clone(),
            credentials.nomad_api_key.clone(),
            quirks.nomad_null_amounts,
        )),
        Arc::new(paybridge_scanforpay::emulator::ScanForPayEmulator::new(
            credentials.scanforpay_partner_no.clone(),
            credentials.scanforpay_store_no.clone(),
            credentials.scanforpay_sign_key.clone(),
            quirks.scanforpay_exhausted,
        )),
        Arc::new(wechatpay_emulator(credentials, quirks)?),
        Arc::new(alipay_emulator(credentials, quirks)?),
    ])
}

fn alipay_emulator(
    credentials: &Credentials,
    quirks: Quirks,
) -> Result<paybridge_alipay::emulator::AlipayEmulator, Error> {
    let alipay_key = paybridge_sign::RsaPrivateKey::from_bytes(
        credentials.alipay_platform.private_pem().as_bytes(),
    )
    .map_err(|e| Error::Config {
        reason: format!("the sandbox's Alipay key: {e}"),
    })?;
    let certificates = if credentials.alipay_certificate_mode {
        let read = |der: &[u8]| {
            paybridge_sign::x509::Certificate::from_der(der).map_err(|e| Error::Config {
                reason: format!("the sandbox's Alipay certificates: {e}"),
            })
        };
        let [app, alipay, root] = &credentials.alipay_certificates;
        Some(paybridge_alipay::emulator::CertificateSns {
            app_cert_sn: paybridge_alipay::cert_sn(&read(app)?),
            alipay_root_cert_sn: paybridge_alipay::root_cert_sn(&[read(root)?]),
            alipay_cert_sn: paybridge_alipay::cert_sn(&read(alipay)?),
        })
    } else {
        None
    };
    Ok(paybridge_alipay::emulator::AlipayEmulator::new(
        credentials.alipay_app_id.clone(),
        credentials.alipay_app.public.clone(),
        alipay_key,
        certificates,
        quirks.alipay_system_error,
    )
    .with_corrupt_bills(quirks.bill_corrupt))
}

fn wechatpay_emulator(
    credentials: &Credentials,
    quirks: Quirks,
) -> Result<paybridge_wechatpay::emulator::WechatPayEmulator, Error> {
    let platform_key = paybridge_sign::RsaPrivateKey::from_bytes(
        credentials.wechatpay_platform.private_pem().as_bytes(),
    )
    .map_err(|e| Error::Config {
        reason: format!("the sandbox's WeChat Pay platform key: {e}"),
    })?;
    let serial = if credentials.wechatpay_certificate_mode {
        paybridge_sign::x509::Certificate::from_der(&credentials.wechatpay_platform_certificate)
            .map_err(|e| Error::Config {
                reason: format!("the sandbox's WeChat Pay platform certificate: {e}"),
            })?
            .serial_hex()
    } else {
        credentials.wechatpay_public_key_id.clone()
    };
    paybridge_wechatpay::emulator::WechatPayEmulator::new(
        credentials.wechatpay_mchid.clone(),
        credentials.wechatpay_merchant_serial.clone(),
        credentials.wechatpay_merchant.public.clone(),
        platform_key,
        serial,
        credentials.wechatpay_apiv3_key.expose().as_bytes(),
        quirks.wechatpay_system_error,
    )
    .map(|emulator| emulator.with_corrupt_bills(quirks.bill_corrupt))
    .map_err(|e| Error::Config {
        reason: format!("the sandbox's WeChat Pay APIv3 key: {e}"),
    })
}
