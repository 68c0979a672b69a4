//! The emulator's bills: `GET /v3/bill/tradebill` and `/v3/bill/fundflowbill` answer, signed,
//! a `download_url` under the sandbox and the SHA-1 of the plain file; the download (signed
//! request, unsigned answer) serves the file in WeChat Pay's format — UTF-8 BOM, CRLF, a header,
//! rows whose every field starts with a backtick, a summary header and its row — gzipped when
//! `tar_type=GZIP`. A day's trade bill holds the payments paid that day (Beijing time) and the
//! refunds that became final that day (`REFUND` rows); its fund flow, the money in and out.

use std::io::Write;

use paybridge_core::{IdGenerator, ProviderId, RandomIdGenerator, Timestamp};
use paybridge_emulator::{Answer, Host, Payment, RefundState, bytes};

use super::{CHINA_OFFSET_MINUTES, WechatPayEmulator, percent_decode, sandbox_openid};
use crate::codes::NO_STATEMENT_EXIST;
use crate::wire::bills::{BillAnswer, GZIP};

/// The path bills are downloaded from (below the sandbox's `/wechatpay`).
pub(super) const DOWNLOAD_PATH: &str = "/v3/billdownload/file";
/// The trade bill call.
pub(super) const TRADE_BILL_PATH: &str = "/v3/bill/tradebill";
/// The fund-flow bill call.
pub(super) const FUND_FLOW_BILL_PATH: &str = "/v3/bill/fundflowbill";

/// How many prepared downloads are kept (each URL is valid for a while, like WeChat Pay's).
const KEPT_FILES: usize = 64;

/// The sandbox's fee: 0.6% of the amount, to the nearest fen (half up).
const FEE_PER_MILLE: i64 = 6;
const FEE_RATE: &str = "0.60%";

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A prepared download: the plain file, and whether to gzip it.
#[derive(Clone, Debug)]
pub(super) struct BillFile {
    plain: Vec<u8>,
    gzip: bool,
}

const TRADE_ALL: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];

const TRADE_REFUND: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "退款申请时间",
    "退款成功时间",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];

const TRADE_SUCCESS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "费率备注",
];

const SUMMARY_ALL: &[&str] = &[
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
];

const SUMMARY_SUCCESS: &[&str] = &["总交易单数", "应结订单总金额", "手续费总金额", "订单总金额"];

const FUND_FLOW: &[&str] = &[
    "记账时间",
    "微信支付业务单号",
    "资金流水单号",
    "业务名称",
    "业务类型",
    "收支类型",
    "收支金额(元)",
    "账户结余(元)",
    "资金变更提交申请人",
    "备注",
    "业务凭证号",
];

const SUMMARY_FUND_FLOW: &[&str] = &[
    "资金流水总笔数",
    "收入笔数",
    "收入金额",
    "支出笔数",
    "支出金额",
];

/// The sandbox's fee on `fen`, in fen (negative for a negative amount: a fee given back).
pub fn sandbox_fee(fen: i64) -> i64 {
    let magnitude = fen
        .unsigned_abs()
        .saturating_mul(FEE_PER_MILLE.unsigned_abs())
        .saturating_add(500)
        / 1000;
    let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
    if fen < 0 { -magnitude } else { magnitude }
}

/// Fen as yuan with two decimals.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let magnitude = fen.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// Fen as yuan with five decimals (手续费).
fn yuan5(fen: i64) -> String {
    format!("{}000", yuan(fen))
}

/// `YYYY-MM-DD HH:MM:SS`, Beijing time.
fn beijing(at: Timestamp) -> String {
    let (y, mo, d, h, mi, s) = at
        .with_offset(CHINA_OFFSET_MINUTES)
        .unwrap_or(at)
        .local_fields();
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
}

/// The Beijing day of `at`, `YYYY-MM-DD`.
fn beijing_day(at: Timestamp) -> String {
    beijing(at).chars().take(10).collect()
}

/// Free text in a bill field: WeChat Pay does not quote, so what would break the line or the
/// field is left out.
fn text(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            ',' | '\r' | '\n' | '"' | '`' => ' ',
            c => c,
        })
        .collect()
}

/// One line of the file: fields joined by commas, each behind a backtick when `ticked`.
fn line(out: &mut Vec<u8>, fields: &[String], ticked: bool) {
    for (n, field) in fields.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        if ticked {
            out.push(b'`');
        }
        out.extend_from_slice(field.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

fn header(out: &mut Vec<u8>, names: &[&str]) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    line(out, &names, false);
}

/// What the emulator knows of an order besides the ledger: its description and `attach`.
pub(super) type Describe<'a> = &'a dyn Fn(&Payment) -> (String, String);

/// One trade-bill row.
struct TradeRow<'a> {
    at: Timestamp,
    payment: &'a Payment,
    /// The refund, for a `REFUND` row.
    refund: Option<&'a paybridge_emulator::RefundEntry>,
}

/// The trade bill (`bill_type` `ALL`, `SUCCESS` or `REFUND`) of `day` (`YYYY-MM-DD`), or
/// `None` when the day has no rows (WeChat Pay's `NO_STATEMENT_EXIST`).
pub fn trade_bill(
    mchid: &str,
    appid: &str,
    payments: &[Payment],
    day: &str,
    bill_type: &str,
    describe: Describe<'_>,
) -> Option<Vec<u8>> {
    let mut rows: Vec<TradeRow<'_>> = Vec::new();
    for payment in payments {
        if payment.provider != ProviderId::WechatPay || !payment.paid || payment.reversed {
            continue;
        }
        if bill_type != "REFUND" && beijing_day(payment.paid_at) == day {
            rows.push(TradeRow {
                at: payment.paid_at,
                payment,
                refund: None,
            });
        }
        if bill_type == "SUCCESS" {
            continue;
        }
        for refund in &payment.refunds {
            let done = refund
                .completed_at
                .filter(|_| refund.status == RefundState::Succeeded);
            if let Some(at) = done.filter(|at| beijing_day(*at) == day) {
                rows.push(TradeRow {
                    at,
                    payment,
                    refund: Some(refund),
                });
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    rows.sort_by(|a, b| {
        (
            a.at.unix_seconds(),
            &a.payment.payment,
            a.refund.map(|r| &r.refund_id),
        )
            .cmp(&(
                b.at.unix_seconds(),
                &b.payment.payment,
                b.refund.map(|r| &r.refund_id),
            ))
    });
    let columns = match bill_type {
        "REFUND" => TRADE_REFUND,
        "SUCCESS" => TRADE_SUCCESS,
        _ => TRADE_ALL,
    };
    let mut out = BOM.to_vec();
    header(&mut out, columns);
    let (mut settled, mut refunded, mut fees, mut ordered, mut asked) =
        (0i64, 0i64, 0i64, 0i64, 0i64);
    for row in &rows {
        let p = row.payment;
        let (description, attach) = describe(p);
        let (settle, refund, fee) = match row.refund {
            None => (p.amount_minor, 0, sandbox_fee(p.amount_minor)),
            Some(r) => (0, r.amount_minor, sandbox_fee(-r.amount_minor)),
        };
        settled = settled.saturating_add(settle);
        refunded = refunded.saturating_add(refund);
        fees = fees.saturating_add(fee);
        ordered = ordered.saturating_add(settle);
        asked = asked.saturating_add(refund);
        let fields: Vec<String> = columns
            .iter()
            .map(|column| match *column {
                "交易时间" => beijing(p.paid_at),
                "公众账号ID" => appid.to_owned(),
                "商户号" => mchid.to_owned(),
                "特约商户号" => "0".to_owned(),
                "微信订单号" => p.payment.clone(),
                "商户订单号" => p.order_ref.clone(),
                "用户标识" => sandbox_openid(p),
                "交易类型" => p.scene.clone().unwrap_or_else(|| "NATIVE".to_owned()),
                "交易状态" => if row.refund.is_some() {
                    "REFUND"
                } else {
                    "SUCCESS"
                }
                .to_owned(),
                "付款银行" => "OTHERS".to_owned(),
                "货币种类" => p.currency.code().to_owned(),
                "应结订单金额" | "订单金额" => yuan(settle),
                "代金券金额" | "充值券退款金额" => yuan(0),
                "退款申请时间" => row
                    .refund
                    .map(|r| beijing(r.created_at))
                    .unwrap_or_default(),
                "退款成功时间" => row.refund.map(|_| beijing(row.at)).unwrap_or_default(),
                "微信退款单号" => row
                    .refund
                    .map_or_else(|| "0".to_owned(), |r| r.provider_refund_id.clone()),
                "商户退款单号" => row
                    .refund
                    .map_or_else(|| "0".to_owned(), |r| r.refund_id.clone()),
                "退款金额" | "申请退款金额" => yuan(refund),
                "退款类型" => row
                    .refund
                    .map(|_| "ORIGINAL".to_owned())
                    .unwrap_or_default(),
                "退款状态" => row.refund.map(|_| "SUCCESS".to_owned()).unwrap_or_default(),
                "商品名称" => text(&description),
                "商户数据包" => text(&attach),
                "手续费" => yuan5(fee),
                "费率" => FEE_RATE.to_owned(),
                _ => String::new(),
            })
            .collect();
        line(&mut out, &fields, true);
    }
    let count = rows.len().to_string();
    if bill_type == "SUCCESS" {
        header(&mut out, SUMMARY_SUCCESS);
        line(
            &mut out,
            &[count, yuan(settled), yuan5(fees), yuan(ordered)],
            true,
        );
    } else {
        header(&mut out, SUMMARY_ALL);
        line(
            &mut out,
            &[
                count,
                yuan(settled),
                yuan(refunded),
                yuan(0),
                yuan5(fees),
                yuan(ordered),
                yuan(asked),
            ],
            true,
        );
    }
    Some(out)
}

/// The `BASIC` account's fund-flow bill of `day`: each payment in (交易, 收入), its fee out
/// (扣除交易手续费, 支出) and each final refund out (退款, 支出), the balance running from zero;
/// `None` when the day moved nothing.
pub fn fund_flow_bill(payments: &[Payment], day: &str) -> Option<Vec<u8>> {
    // (when, business no, kind, income, fen, voucher)
    let mut moves: Vec<(Timestamp, String, &'static str, bool, i64, String)> = Vec::new();
    for payment in payments {
        if payment.provider != ProviderId::WechatPay || !payment.paid || payment.reversed {
            continue;
        }
        if beijing_day(payment.paid_at) == day {
            moves.push((
                payment.paid_at,
                payment.payment.clone(),
                "交易",
                true,
                payment.amount_minor,
                payment.order_ref.clone(),
            ));
            let fee = sandbox_fee(payment.amount_minor);
            if fee > 0 {
                moves.push((
                    payment.paid_at,
                    payment.payment.clone(),
                    "扣除交易手续费",
                    false,
                    fee,
                    payment.order_ref.clone(),
                ));
            }
        }
        for refund in &payment.refunds {
            let done = refund
                .completed_at
                .filter(|_| refund.status == RefundState::Succeeded);
            if let Some(at) = done.filter(|at| beijing_day(*at) == day) {
                moves.push((
                    at,
                    refund.provider_refund_id.clone(),
                    "退款",
                    false,
                    refund.amount_minor,
                    refund.refund_id.clone(),
                ));
            }
        }
    }
    if moves.is_empty() {
        return None;
    }
    moves.sort_by(|a, b| (a.0.unix_seconds(), &a.1, a.2).cmp(&(b.0.unix_seconds(), &b.1, b.2)));
    let mut out = BOM.to_vec();
    header(&mut out, FUND_FLOW);
    let (mut balance, mut ins, mut in_fen, mut outs, mut out_fen) = (0i64, 0u64, 0i64, 0u64, 0i64);
    let compact_day: String = day.chars().filter(char::is_ascii_digit).collect();
    for (n, (at, business_no, kind, income, fen, voucher)) in moves.iter().enumerate() {
        if *income {
            balance = balance.saturating_add(*fen);
            ins += 1;
            in_fen = in_fen.saturating_add(*fen);
        } else {
            balance = balance.saturating_sub(*fen);
            outs += 1;
            out_fen = out_fen.saturating_add(*fen);
        }
        let fields = [
            beijing(*at),
            business_no.clone(),
            format!("{compact_day}{:010}", n + 1),
            (*kind).to_owned(),
            (*kind).to_owned(),
            if *income { "收入" } else { "支出" }.to_owned(),
            yuan(*fen),
            yuan(balance),
            "system".to_owned(),
            String::new(),
            voucher.clone(),
        ];
        line(&mut out, &fields, true);
    }
    header(&mut out, SUMMARY_FUND_FLOW);
    line(
        &mut out,
        &[
            moves.len().to_string(),
            ins.to_string(),
            yuan(in_fen),
            outs.to_string(),
            yuan(out_fen),
        ],
        true,
    );
    Some(out)
}

/// A query's parameters, percent-decoded (`None` for one that does not decode).
fn query(request: &http::request::Parts) -> Vec<(String, Option<String>)> {
    request
        .uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_owned(), percent_decode(value))
        })
        .collect()
}

fn param<'a>(params: &'a [(String, Option<String>)], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_deref())
}

/// Gzips `plain` (never fails on a `Vec`; an error would leave it plain, which the client's
/// check refuses).
fn gzip(plain: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    if encoder.write_all(plain).is_err() {
        return plain.to_vec();
    }
    encoder.finish().unwrap_or_else(|_| plain.to_vec())
}

impl WechatPayEmulator {
    /// `GET /v3/bill/tradebill` (`fund` false) or `/v3/bill/fundflowbill` (`fund` true).
    pub(super) fn bill(
        &self,
        host: &dyn Host,
        request: &http::request::Parts,
        fund: bool,
    ) -> Answer {
        let params = query(request);
        let Some(Some(day)) = param(&params, "bill_date") else {
            return self.error(host, 400, "PARAM_ERROR", Some("bill_date is required"));
        };
        if crate::bills::check_bill_date(day).is_err() {
            return self.error(
                host,
                400,
                "PARAM_ERROR",
                Some("bill_date must be YYYY-MM-DD"),
            );
        }
        let gzip = match param(&params, "tar_type") {
            None => false,
            Some(Some(GZIP)) => true,
            Some(_) => {
                return self.error(host, 400, "PARAM_ERROR", Some("tar_type must be GZIP"));
            }
        };
        let payments = host.ledger().payments();
        let plain = if fund {
            match param(&params, "account_type") {
                None | Some(Some("BASIC")) => fund_flow_bill(&payments, day),
                // The sandbox moves nothing through the operation or fees accounts.
                Some(Some("OPERATION" | "FEES")) => None,
                Some(_) => {
                    return self.error(
                        host,
                        400,
                        "PARAM_ERROR",
                        Some("account_type must be BASIC, OPERATION or FEES"),
                    );
                }
            }
        } else {
            let bill_type = match param(&params, "bill_type") {
                None => "ALL",
                Some(Some(t @ ("ALL" | "SUCCESS" | "REFUND"))) => t,
                Some(_) => {
                    return self.error(
                        host,
                        400,
                        "PARAM_ERROR",
                        Some("bill_type must be ALL, SUCCESS or REFUND"),
                    );
                }
            };
            let describe = |p: &Payment| {
                self.orders().get(&p.order_ref).map_or_else(
                    || ("sandbox".to_owned(), String::new()),
                    |o| (o.description.clone(), o.attach.clone().unwrap_or_default()),
                )
            };
            trade_bill(
                &self.mchid,
                &self.appid,
                &payments,
                day,
                bill_type,
                &describe,
            )
        };
        let Some(plain) = plain else {
            return self.error(host, 400, NO_STATEMENT_EXIST, Some("该日期不存在账单"));
        };
        let hash = paybridge_sign::sha1_hex(&plain);
        let token = RandomIdGenerator::new().next_id();
        {
            let mut files = self.bill_files();
            if files.len() >= KEPT_FILES {
                files.pop_front();
            }
            files.push_back((token.clone(), BillFile { plain, gzip }));
        }
        let url = format!(
            "{}/wechatpay{DOWNLOAD_PATH}?token={token}",
            host.base_url().trim_end_matches('/')
        );
        self.answer(host, 200, &BillAnswer::sha1(hash, url))
    }

    /// `GET /v3/billdownload/file?token=…`: the file, unsigned; gzipped if asked; one byte
    /// flipped with the corrupt-bills quirk.
    pub(super) fn bill_download(&self, host: &dyn Host, request: &http::request::Parts) -> Answer {
        let params = query(request);
        let file = param(&params, "token").flatten().and_then(|token| {
            self.bill_files()
                .iter()
                .find(|(t, _)| t == token)
                .map(|(_, file)| file.clone())
        });
        let Some(file) = file else {
            return self.error(
                host,
                404,
                crate::codes::RESOURCE_NOT_EXISTS,
                Some("the download link is unknown or expired"),
            );
        };
        let mut body = if file.gzip {
            gzip(&file.plain)
        } else {
            file.plain
        };
        if self.corrupt_bills {
            // The middle byte: inside the deflate data of a gzip (never its header's
            // modification time, which gunzip ignores), so the change always shows.
            let middle = body.len() / 2;
            if let Some(byte) = body.get_mut(middle) {
                *byte ^= 0x01;
            }
        }
        let content_type = if file.gzip {
            "application/x-gzip"
        } else {
            "text/plain; charset=utf-8"
        };
        bytes(200, content_type, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::Currency;

    #[test]
    fn amounts_and_fees_are_written_as_wechat_pay_writes_them() {
        assert_eq!(yuan(10_001), "100.01");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-120), "-1.20");
        assert_eq!(yuan5(6), "0.06000");
        assert_eq!(sandbox_fee(10_000), 60);
        assert_eq!(sandbox_fee(83), 0);
        assert_eq!(sandbox_fee(84), 1);
        assert_eq!(sandbox_fee(-2_500), -15);
        assert_eq!(text("a,b\"c`d"), "a b c d");
    }

    #[test]
    fn a_day_without_rows_has_no_bill() {
        let at = Timestamp::from_unix(1_796_300_000).unwrap_or(Timestamp::EPOCH);
        let payment = Payment::new(
            ProviderId::WechatPay,
            "4200".into(),
            "o1".into(),
            100,
            Currency::Cny,
            at,
        );
        let day = beijing_day(at);
        let describe = |_: &Payment| (String::new(), String::new());
        let payments = [payment];
        assert!(trade_bill("1", "wx", &payments, &day, "ALL", &describe).is_some());
        assert!(trade_bill("1", "wx", &payments, &day, "REFUND", &describe).is_none());
        assert!(trade_bill("1", "wx", &payments, "2001-01-01", "ALL", &describe).is_none());
        assert!(fund_flow_bill(&payments, &day).is_some());
        assert!(fund_flow_bill(&payments, "2001-01-01").is_none());
    }
}
