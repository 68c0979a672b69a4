//! Bills (statements): the trade bill and the fund-flow bill of a day.
//!
//! Getting one takes two requests. The bill call (`GET /v3/bill/tradebill` or
//! `/v3/bill/fundflowbill`) answers, signed like every answer, where the file is and the SHA-1
//! of its plain bytes. The file is then a signed `GET` of that `download_url`, whose answer is
//! **not** signed: what makes it trustworthy is the SHA-1 from the signed answer, checked over
//! the plain (gunzipped) bytes exactly as received, BOM and CRLF included. The URL is only
//! followed to the configured base URL's own scheme and host, so an answer naming another host
//! cannot send the merchant's signed request elsewhere.
//!
//! The checks ([`checked_answer`], [`verify_bill`]) and the parser ([`read_bill`]) are pure
//! functions over bytes and readers; the client methods are the I/O around them.

mod reader;

use std::io::{BufReader, Read, Seek, SeekFrom};

use bytes::Bytes;
use paybridge_core::{
    DownloadedStatement, Error, StatementEntries, StatementKind, StatementProvider,
    StatementSource, Timestamp,
};
use paybridge_transport::{BaseUrl, Transport};

pub use reader::{BillFormat, BillReader, MAX_LINE_BYTES, read_bill};

use crate::client::WechatPayClient;
use crate::codec::{Codec, PROVIDER};
use crate::codes::NO_STATEMENT_EXIST;
use crate::wire::bills::{BillAnswer, FundFlowBillRequest, TradeBillRequest};

/// The first two bytes of every gzip stream.
pub const GZIP_MAGIC: [u8; 2] = [0x1F, 0x8B];

/// The statements a WeChat Pay merchant has: the trade bill (ALL), its refunds (REFUND) and the
/// basic account's fund flow.
pub const STATEMENT_KINDS: &[StatementKind] = &[
    StatementKind::Trade,
    StatementKind::Refund,
    StatementKind::Fund,
];

/// Checks a bill date: `YYYY-MM-DD`, a real day.
///
/// # Errors
/// [`Error::InvalidRequest`] on `bill_date` otherwise (nothing is sent).
pub fn check_bill_date(date: &str) -> Result<(), Error> {
    let shaped = date.len() == 10
        && date.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if shaped && Timestamp::parse_local(&format!("{date} 00:00:00"), 0).is_ok() {
        Ok(())
    } else {
        Err(Error::invalid(
            "bill_date",
            "must be a day written YYYY-MM-DD",
        ))
    }
}

/// What a signed bill answer says, checked: the SHA-1 to expect (lower-case hex) and the
/// download URL, which must be on `base`'s scheme and host.
///
/// # Errors
/// [`Error::MalformedResponse`] when a field is missing, the hash is not SHA-1 or the URL is
/// not one; [`Error::Verification`] when the URL leaves the configured host.
pub fn checked_answer(base: &BaseUrl, answer: &BillAnswer) -> Result<(String, http::Uri), Error> {
    let malformed = |why: String| Error::malformed(PROVIDER, Some(200), why);
    let hash_type = answer.hash_type.as_deref().unwrap_or_default();
    if !hash_type.eq_ignore_ascii_case("SHA1") {
        return Err(malformed(format!(
            "the bill answer's hash_type is {:?}, not SHA1",
            paybridge_core::excerpt(hash_type.as_bytes(), 20)
        )));
    }
    let hash = answer
        .hash_value
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if hash.len() != 40 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed(
            "the bill answer's hash_value is not a SHA-1 in hex".into(),
        ));
    }
    let text = answer
        .download_url
        .as_deref()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| malformed("the bill answer has no download_url".into()))?;
    let uri: http::Uri = text.parse().map_err(|_| {
        malformed(format!(
            "the bill answer's download_url is not a URL: {}",
            paybridge_core::excerpt(text.as_bytes(), 80)
        ))
    })?;
    let own = base.join("/")?;
    let same_scheme = uri.scheme().is_some() && uri.scheme() == own.scheme();
    let same_host = uri
        .authority()
        .is_some_and(|a| a.as_str().eq_ignore_ascii_case(base.authority()));
    if !(same_scheme && same_host) || paybridge_transport::carries_credentials(text) {
        return Err(Error::Verification {
            provider: PROVIDER,
            reason: format!(
                "the bill's download_url is not on {} (the configured base URL's host): \
                 refusing to send a signed request to {}",
                base.authority(),
                paybridge_core::excerpt(uri.authority().map_or("", |a| a.as_str()).as_bytes(), 60)
            ),
        });
    }
    Ok((hash, uri))
}

/// Checks a downloaded bill against the `hash_value` of its signed answer: the SHA-1 of its
/// plain bytes (gunzipped first when `sent` is gzip, streamed, so the plain file is never held
/// whole), compared in constant time. Answers whether `sent` is gzip.
///
/// # Errors
/// [`Error::Verification`] when the digest differs or the gzip is broken (the file was
/// corrupted or replaced); [`Error::MalformedResponse`] when `hash_value` is not SHA-1 hex.
pub fn verify_bill(sent: &[u8], hash_value: &str) -> Result<bool, Error> {
    let expected = hash_value.trim().to_ascii_lowercase();
    if expected.len() != 40 || !expected.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::malformed(
            PROVIDER,
            None,
            "hash_value is not a SHA-1 in hex",
        ));
    }
    let mut sha1 = paybridge_sign::Sha1::new();
    let gzip = sent.starts_with(&GZIP_MAGIC);
    if gzip {
        let mut decoder = flate2::read::MultiGzDecoder::new(sent);
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let n = decoder.read(&mut chunk).map_err(|e| Error::Verification {
                provider: PROVIDER,
                reason: format!("the downloaded bill does not gunzip: {e}"),
            })?;
            if n == 0 {
                break;
            }
            sha1.update(chunk.get(..n).unwrap_or_default());
        }
    } else {
        sha1.update(sent);
    }
    let actual = sha1.finish_hex();
    if paybridge_sign::constant_time_eq(actual.as_bytes(), expected.as_bytes()) {
        Ok(gzip)
    } else {
        Err(Error::Verification {
            provider: PROVIDER,
            reason: "the downloaded bill's SHA-1 is not the hash_value of the signed answer: \
                     it was corrupted or replaced"
                .into(),
        })
    }
}

/// Reads a bill's entries from `source` as downloaded: gunzipped when it starts with the gzip
/// magic bytes, read as plain CSV otherwise ([`read_bill`]).
///
/// # Errors
/// [`Error::MalformedResponse`] when the source cannot be read or rewound.
pub fn read_statement<'a>(
    mut source: Box<dyn StatementSource + 'a>,
) -> Result<StatementEntries<'a>, Error> {
    let unreadable = |e: std::io::Error| {
        Error::malformed(PROVIDER, None, format!("the bill cannot be read: {e}"))
    };
    let mut magic = [0u8; 2];
    let mut have = 0;
    while have < magic.len() {
        let n = source
            .read(magic.get_mut(have..).unwrap_or_default())
            .map_err(unreadable)?;
        if n == 0 {
            break;
        }
        have += n;
    }
    source.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    if have == magic.len() && magic == GZIP_MAGIC {
        Ok(Box::new(read_bill(BufReader::new(
            flate2::read::MultiGzDecoder::new(source),
        ))))
    } else {
        Ok(Box::new(read_bill(BufReader::new(source))))
    }
}

impl Codec {
    /// The signed `GET` of a bill's `download_url` (checked by [`checked_answer`]): signed over
    /// the URL's path and query exactly as sent, stamped with `timestamp` and `nonce`.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad nonce; [`Error::Signing`] when the key cannot sign.
    pub fn encode_download(
        &self,
        uri: &http::Uri,
        timestamp: i64,
        nonce: &str,
    ) -> Result<http::Request<Bytes>, Error> {
        if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(Error::invalid("nonce_str", "1-32 letters and digits"));
        }
        let path = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str);
        let authorization = self.authorization("GET", path, timestamp, nonce, b"")?;
        let now = Timestamp::from_unix(timestamp).unwrap_or(Timestamp::EPOCH);
        http::Request::builder()
            .method(http::Method::GET)
            .uri(uri.clone())
            .header(http::header::ACCEPT, "*/*")
            .header(http::header::USER_AGENT, crate::codec::USER_AGENT)
            .header(http::header::AUTHORIZATION, authorization)
            .header("Wechatpay-Serial", self.platform_keys().serial_to_send(now))
            .body(Bytes::new())
            .map_err(|e| Error::Config {
                reason: format!("bad wechatpay download request: {e}"),
            })
    }

    /// Reads a download's answer: on 2xx its body, unverified (the download is not signed;
    /// [`verify_bill`] checks it); otherwise WeChat Pay's refusal, as [`Codec::decode_answer`]
    /// reads it.
    ///
    /// # Errors
    /// As [`Codec::decode_answer`] for a refusal.
    pub fn decode_download(&self, response: &http::Response<Bytes>) -> Result<Bytes, Error> {
        if response.status().is_success() {
            return Ok(response.body().clone());
        }
        self.decode_answer::<serde::de::IgnoredAny>(response)?;
        Err(Error::malformed(
            PROVIDER,
            Some(response.status().as_u16()),
            "a refused download read as a success",
        ))
    }
}

impl<T: Transport> WechatPayClient<T> {
    /// The signed answer of a trade bill call: where its file is, and its SHA-1.
    ///
    /// # Errors
    /// As [`WechatPayClient::call`]; `NO_STATEMENT_EXIST` for a day without a bill,
    /// `STATEMENT_CREATING` (retryable) when it is not ready yet.
    pub async fn trade_bill(&self, request: &TradeBillRequest) -> Result<BillAnswer, Error> {
        check_bill_date(&request.bill_date)?;
        self.call(request).await
    }

    /// The signed answer of a fund-flow bill call.
    ///
    /// # Errors
    /// As [`WechatPayClient::trade_bill`].
    pub async fn fund_flow_bill(&self, request: &FundFlowBillRequest) -> Result<BillAnswer, Error> {
        check_bill_date(&request.bill_date)?;
        self.call(request).await
    }

    /// Downloads the file a bill answer names and checks it against the answer's SHA-1:
    /// the bytes as sent (gzip if asked).
    ///
    /// # Errors
    /// [`Error::Verification`] when the URL leaves the configured host (nothing is sent) or
    /// the file does not match; otherwise as [`WechatPayClient::call`].
    pub async fn download_bill_file(&self, answer: &BillAnswer) -> Result<(Bytes, bool), Error> {
        let (hash, uri) = checked_answer(self.codec().base_url(), answer)?;
        let retryable =
            |result: &Result<Bytes, Error>| matches!(result, Err(e) if e.is_retryable());
        let sent = paybridge_transport::retry(self.retry_policy(), retryable, |attempt| {
            let (timestamp, nonce) = self.stamp();
            let request = self.codec().encode_download(&uri, timestamp, &nonce);
            async move {
                let mut request = request?;
                request.extensions_mut().insert(attempt);
                let response = self.transport().send(request).await?;
                self.codec().decode_download(&response)
            }
        })
        .await?;
        let gzip = verify_bill(&sent, &hash)?;
        Ok((sent, gzip))
    }

    /// Downloads and checks the `kind` statement of `date` (`YYYY-MM-DD`, Beijing time):
    /// [`StatementKind::Trade`] is the trade bill `ALL`, [`StatementKind::Refund`] the trade
    /// bill `REFUND`, [`StatementKind::Fund`] the `BASIC` account's fund-flow bill; gzipped
    /// (`tar_type=GZIP`) when `gzip`. `NO_STATEMENT_EXIST` is an empty statement.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for a bad date (nothing sent); [`Error::Rejected`]
    /// `STATEMENT_CREATING` (retryable) when the bill is not ready yet; [`Error::Verification`]
    /// when the answer or the file does not verify or the URL leaves the configured host;
    /// otherwise as [`WechatPayClient::call`].
    pub async fn download_bill(
        &self,
        date: &str,
        kind: StatementKind,
        gzip: bool,
    ) -> Result<DownloadedStatement, Error> {
        let answer = match kind {
            StatementKind::Trade => {
                self.trade_bill(&TradeBillRequest::new(date, "ALL", gzip))
                    .await
            }
            StatementKind::Refund => {
                self.trade_bill(&TradeBillRequest::new(date, "REFUND", gzip))
                    .await
            }
            StatementKind::Fund => {
                self.fund_flow_bill(&FundFlowBillRequest::new(date, "BASIC", gzip))
                    .await
            }
        };
        let statement = |bytes: Vec<u8>, gzip: bool, empty: bool| DownloadedStatement {
            provider: PROVIDER,
            date: date.to_owned(),
            kind,
            bytes,
            media_type: if gzip { "application/gzip" } else { "text/csv" },
            empty,
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(Error::Rejected { ref code, .. }) if *code == NO_STATEMENT_EXIST => {
                return Ok(statement(Vec::new(), false, true));
            }
            Err(error) => return Err(error),
        };
        let (sent, gzipped) = self.download_bill_file(&answer).await?;
        Ok(statement(sent.to_vec(), gzipped, false))
    }
}

#[async_trait::async_trait]
impl<T: Transport> StatementProvider for WechatPayClient<T> {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn statement_kinds(&self) -> &'static [StatementKind] {
        STATEMENT_KINDS
    }

    /// Asks for the gzipped file (smaller on the wire); the bytes kept are the gzip as sent.
    async fn download_statement(
        &self,
        date: &str,
        kind: StatementKind,
    ) -> Result<DownloadedStatement, Error> {
        self.download_bill(date, kind, true).await
    }

    fn read_statement<'a>(
        &self,
        source: Box<dyn StatementSource + 'a>,
    ) -> Result<StatementEntries<'a>, Error> {
        read_statement(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bill_dates_are_real_days() {
        assert!(check_bill_date("2026-12-01").is_ok());
        assert!(check_bill_date("2024-02-29").is_ok());
        for bad in [
            "2026-13-01",
            "2026-02-30",
            "2026-1-01",
            "20261201",
            "",
            "2026-12-01&x=1",
        ] {
            assert!(check_bill_date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_download_url_stays_on_the_configured_host() {
        let base = BaseUrl::parse("https://api.mch.weixin.qq.com").unwrap_or_else(|_| {
            BaseUrl::parse("https://example.com").unwrap_or_else(|_| unreachable!())
        });
        let hash = "a9993e364706816aba3e25717850c26c9cd0d89d";
        let ok = BillAnswer::sha1(
            hash,
            "https://api.mch.weixin.qq.com/v3/billdownload/file?token=x",
        );
        assert!(checked_answer(&base, &ok).is_ok());
        for url in [
            "https://evil.example/v3/billdownload/file?token=x",
            "http://api.mch.weixin.qq.com/v3/billdownload/file",
            "https://api.mch.weixin.qq.com:8443/v3/billdownload/file",
            "https://user@api.mch.weixin.qq.com/v3/billdownload/file",
            "/v3/billdownload/file?token=x",
        ] {
            let answer = BillAnswer::sha1(hash, url);
            assert!(
                matches!(
                    checked_answer(&base, &answer),
                    Err(Error::Verification { .. })
                ),
                "{url}"
            );
        }
        let mut md5 = ok.clone();
        md5.hash_type = Some("MD5".into());
        assert!(checked_answer(&base, &md5).is_err());
        let short = BillAnswer::sha1("abc", "https://api.mch.weixin.qq.com/x");
        assert!(checked_answer(&base, &short).is_err());
    }

    #[test]
    fn a_bill_verifies_over_its_plain_bytes() {
        let plain = b"abc";
        let hash = "A9993E364706816ABA3E25717850C26C9CD0D89D";
        assert_eq!(verify_bill(plain, hash).ok(), Some(false));
        assert!(matches!(
            verify_bill(b"abd", hash),
            Err(Error::Verification { .. })
        ));
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut encoder, plain).unwrap_or_default();
        let gz = encoder.finish().unwrap_or_default();
        assert_eq!(verify_bill(&gz, hash).ok(), Some(true));
        let mut broken = gz.clone();
        if let Some(b) = broken.get_mut(gz.len() - 6) {
            *b ^= 0x40;
        }
        assert!(matches!(
            verify_bill(&broken, hash),
            Err(Error::Verification { .. })
        ));
        assert!(verify_bill(plain, "xyz").is_err());
    }
}
