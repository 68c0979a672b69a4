//! Which URLs a paybridge transport will talk to: `https://` anywhere, plain `http://` only to
//! this machine.

use std::net::IpAddr;

use paybridge_core::{Delivery, Error, TransportErrorKind};

/// Whether `host` (as written in a URI; IPv6 in brackets) names this machine: `localhost`,
/// `*.localhost`, 127.0.0.0/8 or ::1.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    let literal = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    literal.parse::<IpAddr>().is_ok_and(|ip| match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    })
}

/// Checks that `uri` is absolute, `https`, or `http` to a loopback host. No option relaxes this:
/// a payment credential never travels in clear text off the machine.
///
/// # Errors
/// [`Error::Transport`] (nothing sent) for plain `http` to a host other than loopback, or a
/// URL without a host.
pub fn check_url(uri: &http::Uri) -> Result<(), Error> {
    let invalid = |message: String| Error::Transport {
        kind: TransportErrorKind::InvalidUrl,
        delivery: Delivery::NotSent,
        message,
    };
    let host = uri
        .host()
        .ok_or_else(|| invalid(format!("{uri} has no host")))?;
    match uri.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if is_loopback_host(host) => Ok(()),
        Some("http") => Err(invalid(format!(
            "plain http:// is refused for {host}: only loopback hosts may be reached without TLS"
        ))),
        Some(other) => Err(invalid(format!("unsupported URL scheme {other:?}"))),
        None => Err(invalid(format!("{uri} is not an absolute URL"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "LOCALHOST",
            "api.localhost",
            "127.0.0.1",
            "127.8.9.1",
            "[::1]",
            "::1",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1",
            "192.168.1.1",
            "[::2]",
            "localhost.example.com",
            "127.0.0.1.nip.io",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn url_policy() {
        let check = |s: &str| check_url(&s.parse().unwrap());
        assert!(check("https://pay.scanforpay.com/api/common/refund").is_ok());
        assert!(check("http://127.0.0.1:8080/bluepay").is_ok());
        assert!(check("http://localhost/x").is_ok());
        assert!(check("http://[::1]:9/x").is_ok());
        for bad in [
            "http://pay.scanforpay.com/x",
            "http://10.1.2.3/x",
            "ftp://localhost/x",
            "/relative",
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.nothing_sent(), "{bad}: {err}");
            assert!(matches!(
                err,
                Error::Transport {
                    kind: TransportErrorKind::InvalidUrl,
                    ..
                }
            ));
        }
    }
}
