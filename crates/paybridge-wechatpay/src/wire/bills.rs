//! The bill (statement) calls: what the merchant asks for and the signed answer that says
//! where to download the file and what its SHA-1 must be.

use serde::{Deserialize, Serialize};

/// `GET /v3/bill/tradebill`: the trade bill of one day. Its fields travel in the query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TradeBillRequest {
    /// The day, `YYYY-MM-DD` (Beijing time).
    pub bill_date: String,
    /// `ALL`, `SUCCESS` or `REFUND` (WeChat Pay's default is `ALL`).
    pub bill_type: String,
    /// `GZIP` to have the file gzipped; absent for the plain CSV.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tar_type: Option<String>,
}

impl TradeBillRequest {
    /// The `bill_type` trade bill of `bill_date`, gzipped when `gzip`.
    pub fn new(
        bill_date: impl Into<String>,
        bill_type: impl Into<String>,
        gzip: bool,
    ) -> TradeBillRequest {
        TradeBillRequest {
            bill_date: bill_date.into(),
            bill_type: bill_type.into(),
            tar_type: gzip.then(|| GZIP.to_owned()),
        }
    }
}

/// `GET /v3/bill/fundflowbill`: the fund-flow bill of one day and account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FundFlowBillRequest {
    /// The day, `YYYY-MM-DD` (Beijing time).
    pub bill_date: String,
    /// `BASIC`, `OPERATION` or `FEES` (WeChat Pay's default is `BASIC`).
    pub account_type: String,
    /// `GZIP` to have the file gzipped; absent for the plain CSV.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tar_type: Option<String>,
}

impl FundFlowBillRequest {
    /// The `account_type` fund-flow bill of `bill_date`, gzipped when `gzip`.
    pub fn new(
        bill_date: impl Into<String>,
        account_type: impl Into<String>,
        gzip: bool,
    ) -> FundFlowBillRequest {
        FundFlowBillRequest {
            bill_date: bill_date.into(),
            account_type: account_type.into(),
            tar_type: gzip.then(|| GZIP.to_owned()),
        }
    }
}

/// `tar_type`'s one value.
pub const GZIP: &str = "GZIP";

/// What both bill calls answer (signed like every answer): where to download the file, and
/// the digest of its plain (gunzipped) bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BillAnswer {
    /// `SHA1`, the only one documented.
    pub hash_type: Option<String>,
    /// The digest of the plain file, hex.
    pub hash_value: Option<String>,
    /// Where to `GET` the file (with a signed `Authorization`; valid for minutes).
    pub download_url: Option<String>,
}

impl BillAnswer {
    /// An answer naming `download_url` and the SHA-1 `hash_value`.
    pub fn sha1(hash_value: impl Into<String>, download_url: impl Into<String>) -> BillAnswer {
        BillAnswer {
            hash_type: Some("SHA1".to_owned()),
            hash_value: Some(hash_value.into()),
            download_url: Some(download_url.into()),
        }
    }
}
