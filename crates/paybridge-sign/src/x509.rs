//! Just enough X.509 to use a provider's certificates: the serial number (how WeChat Pay names
//! its platform certificates, and half of Alipay's certificate SN), the validity window, the
//! issuer's distinguished name as RFC 2253 writes it (the other half of Alipay's SN), the
//! signature algorithm, and the RSA public key inside.
//!
//! paybridge does not validate certificate chains here: a provider certificate is configured by
//! the merchant from the provider's own download, exactly like a provider public key. What is
//! checked is that it parses, holds an RSA key where one is used, and is within its validity
//! window when a message is verified with it.
//!
//! [`issue`] writes a certificate, for sandboxes and tests (the sandbox's WeChat Pay platform
//! certificates and Alipay's certificate chain).

use std::fmt;

use paybridge_core::Timestamp;

use crate::der::{self, Reader};
use crate::{KeyError, RsaPrivateKey, RsaPublicKey};

/// 1.2.840.113549.1.1.11, sha256WithRSAEncryption.
const SHA256_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B];
/// 1.2.840.113549.1.1.5, sha1WithRSAEncryption.
const SHA1_WITH_RSA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05];
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const SET: u8 = 0x31;
const UTF8_STRING: u8 = 0x0C;
const PRINTABLE_STRING: u8 = 0x13;
const T61_STRING: u8 = 0x14;
const IA5_STRING: u8 = 0x16;
const BMP_STRING: u8 = 0x1E;
const VERSION_TAG: u8 = 0xA0;

/// Why a certificate could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not PEM or DER of an X.509 certificate.
    Malformed(&'static str),
    /// It holds no RSA key, or the key is refused.
    Key(KeyError),
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateError::Malformed(why) => write!(f, "not a readable certificate: {why}"),
            CertificateError::Key(e) => write!(f, "the certificate's key: {e}"),
        }
    }
}

impl std::error::Error for CertificateError {}

/// The signature algorithm a certificate was signed with, as far as paybridge tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption.
    Sha256WithRsa,
    /// sha1WithRSAEncryption.
    Sha1WithRsa,
    /// Another PKCS#1 RSA signature (1.2.840.113549.1.1.*: MD5, SHA-384, SHA-512…).
    OtherRsa,
    /// Anything else (ECDSA, SM2…).
    Other,
}

impl SignatureAlgorithm {
    /// Whether it is an RSA (PKCS#1) signature — the test Alipay's SDK applies when it picks the
    /// certificates of a root bundle whose SNs make `alipay_root_cert_sn`.
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            SignatureAlgorithm::Sha256WithRsa
                | SignatureAlgorithm::Sha1WithRsa
                | SignatureAlgorithm::OtherRsa
        )
    }
}

/// A parsed X.509 certificate.
#[derive(Clone)]
pub struct Certificate {
    serial: Vec<u8>,
    not_before: Timestamp,
    not_after: Timestamp,
    issuer: String,
    signature_algorithm: SignatureAlgorithm,
    spki: Vec<u8>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial_hex())
            .field("issuer", &self.issuer)
            .field("not_before", &self.not_before.to_rfc3339())
            .field("not_after", &self.not_after.to_rfc3339())
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Reads one certificate from PEM (`-----BEGIN CERTIFICATE-----`) or DER.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`] when it is neither, or holds several.
    pub fn from_bytes(input: &[u8]) -> Result<Certificate, CertificateError> {
        let mut all = Certificate::all_from_bytes(input)?;
        match (all.pop(), all.is_empty()) {
            (Some(one), true) => Ok(one),
            (Some(_), false) => Err(CertificateError::Malformed(
                "several certificates where one was expected",
            )),
            (None, _) => Err(CertificateError::Malformed("no certificate")),
        }
    }

    /// Reads every certificate in a PEM bundle (or one DER certificate), in order.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`] when a block is not a certificate.
    pub fn all_from_bytes(input: &[u8]) -> Result<Vec<Certificate>, CertificateError> {
        if input.first() == Some(&der::SEQUENCE) {
            return Ok(vec![Certificate::from_der(input)?]);
        }
        let text = std::str::from_utf8(input)
            .map_err(|_| CertificateError::Malformed("neither PEM text nor DER"))?;
        let mut certificates = Vec::new();
        let mut body: Option<String> = None;
        for line in text.lines().map(str::trim) {
            match (&mut body, line) {
                (None, "-----BEGIN CERTIFICATE-----") => body = Some(String::new()),
                (Some(b64), "-----END CERTIFICATE-----") => {
                    let der = crate::base64_decode(b64)
                        .map_err(|_| CertificateError::Malformed("bad base64 in PEM"))?;
                    certificates.push(Certificate::from_der(&der)?);
                    body = None;
                }
                (Some(b64), line) => b64.push_str(line),
                (None, _) => {}
            }
        }
        if body.is_some() {
            return Err(CertificateError::Malformed("PEM has no matching END line"));
        }
        if certificates.is_empty() {
            return Err(CertificateError::Malformed("no PEM certificate block"));
        }
        Ok(certificates)
    }

    /// Reads a DER certificate.
    ///
    /// # Errors
    /// [`CertificateError::Malformed`] when it is not one.
    pub fn from_der(input: &[u8]) -> Result<Certificate, CertificateError> {
        let bad = CertificateError::Malformed;
        let body = der::single(input, der::SEQUENCE).ok_or(bad("not a DER SEQUENCE"))?;
        let mut outer = Reader::new(body);
        let tbs = outer
            .expect(der::SEQUENCE)
            .ok_or(bad("no tbsCertificate"))?;
        let algorithm = outer
            .expect(der::SEQUENCE)
            .ok_or(bad("no signatureAlgorithm"))?;
        outer.expect(der::BIT_STRING).ok_or(bad("no signature"))?;
        let oid = Reader::new(algorithm.content)
            .expect(der::OID)
            .ok_or(bad("bad signatureAlgorithm"))?;
        let signature_algorithm = match oid.content {
            SHA256_WITH_RSA => SignatureAlgorithm::Sha256WithRsa,
            SHA1_WITH_RSA => SignatureAlgorithm::Sha1WithRsa,
            [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, _] => SignatureAlgorithm::OtherRsa,
            _ => SignatureAlgorithm::Other,
        };
        let mut fields = Reader::new(tbs.content);
        let mut serial = fields.next().ok_or(bad("no serialNumber"))?;
        if serial.tag == VERSION_TAG {
            serial = fields.next().ok_or(bad("no serialNumber"))?;
        }
        if serial.tag != der::INTEGER || serial.content.is_empty() {
            return Err(bad("bad serialNumber"));
        }
        fields.expect(der::SEQUENCE).ok_or(bad("no signature"))?;
        let issuer = fields.expect(der::SEQUENCE).ok_or(bad("no issuer"))?;
        let validity = fields.expect(der::SEQUENCE).ok_or(bad("no validity"))?;
        fields.expect(der::SEQUENCE).ok_or(bad("no subject"))?;
        let spki = fields
            .expect(der::SEQUENCE)
            .ok_or(bad("no subjectPublicKeyInfo"))?;
        let mut times = Reader::new(validity.content);
        let not_before = times
            .next()
            .and_then(parse_time)
            .ok_or(bad("bad notBefore"))?;
        let not_after = times
            .next()
            .and_then(parse_time)
            .ok_or(bad("bad notAfter"))?;
        // A serial is a positive INTEGER: a leading 0x00 only keeps its top bit clear.
        let serial = match serial.content {
            [0, rest @ ..] if !rest.is_empty() => rest,
            all => all,
        };
        Ok(Certificate {
            serial: serial.to_vec(),
            not_before,
            not_after,
            issuer: rfc2253(issuer.content).ok_or(bad("bad issuer name"))?,
            signature_algorithm,
            spki: spki.raw.to_vec(),
        })
    }

    /// The serial number as upper-case hex without leading zero bytes — how WeChat Pay writes
    /// `serial_no` and `Wechatpay-Serial`.
    pub fn serial_hex(&self) -> String {
        self.serial.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// The serial number in decimal (Java's `BigInteger.toString()`), as Alipay's SN uses it.
    pub fn serial_decimal(&self) -> String {
        decimal(&self.serial)
    }

    /// The issuer's distinguished name as RFC 2253 writes it (Java's
    /// `X500Principal.getName()`): the last RDN first, `CN=…,OU=…,O=…,C=…`.
    pub fn issuer_rfc2253(&self) -> &str {
        &self.issuer
    }

    /// The start of the validity window.
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }

    /// The end of the validity window.
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }

    /// Whether `at` is inside the validity window.
    pub fn valid_at(&self, at: Timestamp) -> bool {
        (self.not_before.unix_seconds()..=self.not_after.unix_seconds())
            .contains(&at.unix_seconds())
    }

    /// How the certificate was signed.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_algorithm
    }

    /// The RSA public key the certificate holds, with the default backend.
    ///
    /// # Errors
    /// [`CertificateError::Key`] when it holds no RSA key paybridge accepts.
    pub fn rsa_public_key(&self) -> Result<RsaPublicKey, CertificateError> {
        RsaPublicKey::from_bytes(&self.spki).map_err(CertificateError::Key)
    }

    /// The RSA public key with `backend`.
    ///
    /// # Errors
    /// [`CertificateError::Key`] when it holds no RSA key paybridge accepts.
    pub fn rsa_public_key_with(
        &self,
        backend: crate::Backend,
    ) -> Result<RsaPublicKey, CertificateError> {
        RsaPublicKey::from_bytes_with(backend, &self.spki).map_err(CertificateError::Key)
    }
}

fn parse_time(element: der::Element<'_>) -> Option<Timestamp> {
    let text = std::str::from_utf8(element.content).ok()?;
    let digits = text.strip_suffix('Z')?;
    let full = match (element.tag, digits.len()) {
        (UTC_TIME, 12) => {
            let year: u32 = digits.get(..2)?.parse().ok()?;
            let century = if year >= 50 { "19" } else { "20" };
            format!("{century}{digits}")
        }
        (GENERALIZED_TIME, 14) => digits.to_owned(),
        _ => return None,
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let local = format!(
        "{}-{}-{} {}:{}:{}",
        full.get(..4)?,
        full.get(4..6)?,
        full.get(6..8)?,
        full.get(8..10)?,
        full.get(10..12)?,
        full.get(12..14)?
    );
    Timestamp::parse_local(&local, 0).ok()
}

/// The short names RFC 2253 (and Java) give attribute types; others are written as OIDs.
fn attribute_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "STREET",
        [0x55, 0x04, 0x0A] => "O",
        [0x55, 0x04, 0x0B] => "OU",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19] => "DC",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01] => "UID",
        _ => return None,
    })
}

fn dotted(oid: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &byte in oid {
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if parts.is_empty() {
                let first = (value / 40).min(2);
                parts.push(first);
                parts.push(value - first * 40);
            } else {
                parts.push(value);
            }
            value = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && (c == '#' || c == ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `Name` (SEQUENCE OF RDN) as RFC 2253 writes it: RDNs last-first, joined by `,`; the
/// attributes of one RDN joined by `+`.
fn rfc2253(name: &[u8]) -> Option<String> {
    let mut rdns = Vec::new();
    let mut sequence = Reader::new(name);
    while !sequence.is_empty() {
        let rdn = sequence.expect(SET)?;
        let mut attributes = Vec::new();
        let mut set = Reader::new(rdn.content);
        while !set.is_empty() {
            let pair = set.expect(der::SEQUENCE)?;
            let mut pair = Reader::new(pair.content);
            let oid = pair.expect(der::OID)?;
            let value = pair.next()?;
            let text = match (attribute_name(oid.content), value.tag) {
                (Some(name), UTF8_STRING | PRINTABLE_STRING | IA5_STRING) => {
                    format!(
                        "{name}={}",
                        escape(std::str::from_utf8(value.content).ok()?)
                    )
                }
                (Some(name), T61_STRING) => {
                    let latin1: String = value.content.iter().map(|&b| char::from(b)).collect();
                    format!("{name}={}", escape(&latin1))
                }
                (Some(name), BMP_STRING) => {
                    let units: Vec<u16> = value
                        .content
                        .chunks(2)
                        .map(|c| Some(u16::from_be_bytes([*c.first()?, *c.get(1)?])))
                        .collect::<Option<_>>()?;
                    format!("{name}={}", escape(&String::from_utf16(&units).ok()?))
                }
                // Unknown types, or values that are not strings: the OID and the DER in hex.
                _ => format!("{}=#{}", dotted(oid.content), crate::hex_lower(value.raw)),
            };
            attributes.push(text);
        }
        rdns.push(attributes.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// A big-endian unsigned integer in decimal.
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // least significant first
    for &byte in bytes {
        let mut carry = u32::from(byte);
        for digit in &mut digits {
            let value = u32::from(*digit) * 256 + carry;
            *digit = u8::try_from(value % 10).unwrap_or(0);
            carry = value / 10;
        }
        while carry > 0 {
            digits.push(u8::try_from(carry % 10).unwrap_or(0));
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

// Writing certificates (sandboxes and tests).

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}

fn name(attributes: &[(&str, &str)]) -> Vec<u8> {
    let mut rdns = Vec::new();
    for (kind, value) in attributes {
        let (oid, tag): (&[u8], u8) = match *kind {
            "C" => (&[0x55, 0x04, 0x06], PRINTABLE_STRING),
            "O" => (&[0x55, 0x04, 0x0A], UTF8_STRING),
            "OU" => (&[0x55, 0x04, 0x0B], UTF8_STRING),
            "L" => (&[0x55, 0x04, 0x07], UTF8_STRING),
            _ => (&[0x55, 0x04, 0x03], UTF8_STRING),
        };
        let pair = [tlv(der::OID, oid), tlv(tag, value.as_bytes())].concat();
        rdns.extend(tlv(SET, &tlv(der::SEQUENCE, &pair)));
    }
    tlv(der::SEQUENCE, &rdns)
}

fn generalized(at: Timestamp) -> Vec<u8> {
    let (y, mo, d, h, mi, s) = at.with_offset(0).unwrap_or(at).local_fields();
    tlv(
        GENERALIZED_TIME,
        format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z").as_bytes(),
    )
}

/// What to write into a certificate [`issue`]s.
#[derive(Clone, Debug)]
pub struct CertificateSpec<'a> {
    /// The serial number, big-endian (a positive integer).
    pub serial: &'a [u8],
    /// The subject's name, as `(type, value)` pairs from the first RDN (`C`) to the last (`CN`).
    pub subject: &'a [(&'a str, &'a str)],
    /// The issuer's name, likewise (the subject's own for a self-signed certificate).
    pub issuer: &'a [(&'a str, &'a str)],
    /// Valid from.
    pub not_before: Timestamp,
    /// Valid until.
    pub not_after: Timestamp,
}

/// Writes a DER certificate for `subject_key`, signed by `issuer_key` with SHA256withRSA: what
/// a provider's certificate authority does, for sandboxes and tests.
///
/// # Errors
/// [`CertificateError::Key`] when the issuer's key cannot sign.
pub fn issue(
    spec: &CertificateSpec<'_>,
    subject_key: &RsaPublicKey,
    issuer_key: &RsaPrivateKey,
) -> Result<Vec<u8>, CertificateError> {
    let algorithm = tlv(
        der::SEQUENCE,
        &[tlv(der::OID, SHA256_WITH_RSA), tlv(der::NULL, &[])].concat(),
    );
    let mut serial = spec.serial.to_vec();
    if serial.first().is_none_or(|b| b & 0x80 != 0) {
        serial.insert(0, 0);
    }
    let tbs = tlv(
        der::SEQUENCE,
        &[
            tlv(VERSION_TAG, &tlv(der::INTEGER, &[2])),
            tlv(der::INTEGER, &serial),
            algorithm.clone(),
            name(spec.issuer),
            tlv(
                der::SEQUENCE,
                &[generalized(spec.not_before), generalized(spec.not_after)].concat(),
            ),
            name(spec.subject),
            subject_key.spki_der(),
        ]
        .concat(),
    );
    let signature = issuer_key.sign(&tbs).map_err(|e| {
        CertificateError::Key(KeyError::Rejected {
            reason: e.to_string(),
        })
    })?;
    let mut bits = vec![0];
    bits.extend(signature);
    Ok(tlv(
        der::SEQUENCE,
        &[tbs, algorithm, tlv(der::BIT_STRING, &bits)].concat(),
    ))
}

/// A DER certificate as PEM text.
pub fn to_pem(der: &[u8]) -> String {
    let b64 = crate::base64_encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_matches_big_integers() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0]), "0");
        assert_eq!(decimal(&[1, 0]), "256");
        assert_eq!(decimal(&[0xFF; 8]), u64::MAX.to_string());
        assert_eq!(
            decimal(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0]),
            "18446744073709551616"
        );
    }

    #[test]
    fn dotted_oids() {
        assert_eq!(
            dotted(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01]),
            "1.2.840.113549.1.9.1"
        );
        assert_eq!(dotted(&[0x55, 0x04, 0x03]), "2.5.4.3");
    }

    #[test]
    fn escaping_follows_rfc_2253() {
        assert_eq!(escape("a,b+c"), "a\\,b\\+c");
        assert_eq!(escape("#x "), "\\#x\\ ");
        assert_eq!(escape("Ant Financial"), "Ant Financial");
    }
}
