//! What the merchant hands the payer's side once a JSAPI or APP order exists: the parameters
//! WeChat's JS bridge (`WeixinJSBridge.invoke('getBrandWCPayRequest', …)`,
//! `wx.requestPayment`) or its app SDK (`PayReq`) take, signed SHA256withRSA with the merchant's
//! API key — the same key that signs requests — over one field per line:
//!
//! - JSAPI / mini-program: `appId\ntimeStamp\nnonceStr\npackage\n`, `package` being
//!   `prepay_id=…`, `signType` `RSA`;
//! - APP: `appid\ntimestamp\nnoncestr\nprepayid\n`, `package` the fixed `Sign=WXPay`.
//!
//! Pure: the timestamp (Unix seconds, no time zone) and the nonce are inputs, taken by the
//! client from its clock and id source. Nothing here is secret (the signature is meant for the
//! payer's device), so the types show everything in `Debug`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The fixed `package` of an APP invocation.
pub const APP_PACKAGE: &str = "Sign=WXPay";
/// The `signType` of a JSAPI invocation under API v3.
pub const JSAPI_SIGN_TYPE: &str = "RSA";

/// The message a JSAPI / mini-program `paySign` covers: `appId\ntimeStamp\nnonceStr\npackage\n`.
pub fn jsapi_message(app_id: &str, time_stamp: &str, nonce_str: &str, package: &str) -> Vec<u8> {
    lines(&[app_id, time_stamp, nonce_str, package])
}

/// The message an APP invocation's `sign` covers: `appid\ntimestamp\nnoncestr\nprepayid\n`.
pub fn app_message(appid: &str, timestamp: &str, noncestr: &str, prepayid: &str) -> Vec<u8> {
    lines(&[appid, timestamp, noncestr, prepayid])
}

fn lines(parts: &[&str]) -> Vec<u8> {
    let mut message = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        message.extend_from_slice(part.as_bytes());
        message.push(b'\n');
    }
    message
}

/// The parameters of a JSAPI / mini-program payment, by the names the JS bridge takes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct JsapiInvocation {
    /// The AppID the order was made under.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as text.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A fresh random string (≤ 32).
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// Base64 SHA256withRSA over [`jsapi_message`].
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl JsapiInvocation {
    /// The message its `paySign` covers.
    pub fn message(&self) -> Vec<u8> {
        jsapi_message(
            &self.app_id,
            &self.time_stamp,
            &self.nonce_str,
            &self.package,
        )
    }

    /// The parameters by name, as [`paybridge_core::PaymentAction::Sdk`] carries them.
    pub fn params(&self) -> BTreeMap<String, String> {
        [
            ("appId", &self.app_id),
            ("timeStamp", &self.time_stamp),
            ("nonceStr", &self.nonce_str),
            ("package", &self.package),
            ("signType", &self.sign_type),
            ("paySign", &self.pay_sign),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
    }
}

/// The parameters of an APP payment, by the names of WeChat's merchant documentation
/// (`PayReq`'s fields). Some SDKs and the partner documentation write `nonceStr` and
/// `timeStamp`: both spellings are read, the documented one is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppInvocation {
    /// The mobile app's AppID.
    pub appid: String,
    /// The merchant id.
    pub partnerid: String,
    /// The prepay session.
    pub prepayid: String,
    /// `Sign=WXPay`.
    pub package: String,
    /// A fresh random string (≤ 32).
    #[serde(alias = "nonceStr")]
    pub noncestr: String,
    /// Unix seconds, as text.
    #[serde(alias = "timeStamp")]
    pub timestamp: String,
    /// Base64 SHA256withRSA over [`app_message`].
    pub sign: String,
}

impl AppInvocation {
    /// The message its `sign` covers.
    pub fn message(&self) -> Vec<u8> {
        app_message(&self.appid, &self.timestamp, &self.noncestr, &self.prepayid)
    }

    /// The parameters by name, as [`paybridge_core::PaymentAction::Sdk`] carries them.
    pub fn params(&self) -> BTreeMap<String, String> {
        [
            ("appid", &self.appid),
            ("partnerid", &self.partnerid),
            ("prepayid", &self.prepayid),
            ("package", &self.package),
            ("noncestr", &self.noncestr),
            ("timestamp", &self.timestamp),
            ("sign", &self.sign),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_messages() {
        assert_eq!(
            jsapi_message(
                "wx8888888888888888",
                "1414561699",
                "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                "prepay_id=wx201410272009395522657a690389285100"
            ),
            b"wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n"
        );
        assert_eq!(
            app_message(
                "wx8888888888888888",
                "1414561699",
                "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                "WX1217752501201407033233368018"
            ),
            b"wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nWX1217752501201407033233368018\n"
        );
    }

    #[test]
    fn app_parameters_read_both_spellings_and_write_the_documented_one() {
        let partner_style = r#"{"appid":"wx1","partnerid":"1900000109","prepayid":"wx2","package":"Sign=WXPay","nonceStr":"n","timeStamp":"1","sign":"s"}"#;
        let read: Result<AppInvocation, _> = serde_json::from_str(partner_style);
        let Ok(read) = read else {
            panic!("the partner spelling did not read");
        };
        assert_eq!(
            (read.noncestr.as_str(), read.timestamp.as_str()),
            ("n", "1")
        );
        let written = serde_json::to_string(&read).unwrap_or_default();
        assert!(written.contains(r#""noncestr":"n""#) && written.contains(r#""timestamp":"1""#));
        let names: Vec<String> = read.params().into_keys().collect();
        assert_eq!(
            names,
            [
                "appid",
                "noncestr",
                "package",
                "partnerid",
                "prepayid",
                "sign",
                "timestamp"
            ]
        );
    }
}
