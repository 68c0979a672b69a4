//! How fast the statement readers go, and in how much memory: a million-row bill of each
//! format, generated lazily line by line (never held whole), read entry by entry. Prints one
//! JSON line per format with rows/s, and the process's peak resident set (Linux `VmHWM`) at the
//! end, so a reader that buffered the file would show it.
//!
//! `cargo run --release -p paybridge --example bill_million [ROWS]`
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    clippy::float_arithmetic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::{BufRead, Read};
use std::time::Instant;

/// A `BufRead` that writes its lines as they are asked for.
struct Lines<F: FnMut(u64) -> Option<Vec<u8>>> {
    next: F,
    n: u64,
    current: Vec<u8>,
    at: usize,
}

impl<F: FnMut(u64) -> Option<Vec<u8>>> Read for Lines<F> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<F: FnMut(u64) -> Option<Vec<u8>>> BufRead for Lines<F> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at >= self.current.len() {
            self.current = (self.next)(self.n).unwrap_or_default();
            self.n += 1;
            self.at = 0;
        }
        Ok(&self.current[self.at..])
    }
    fn consume(&mut self, amount: usize) {
        self.at += amount;
    }
}

fn lines<F: FnMut(u64) -> Option<Vec<u8>>>(next: F) -> Lines<F> {
    Lines {
        next,
        n: 0,
        current: Vec::new(),
        at: 0,
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn report(format: &str, rows: u64, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "format": format,
            "rows": rows,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "rows_per_second": (rows as f64 / seconds).round(),
            "peak_rss_kib_so_far": peak_rss_kib(),
        })
    );
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);

    // WeChat Pay's trade bill: BOM, header, backticked rows (every 5th a refund), summary.
    let header = "\u{feff}交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n";
    let wechat = lines(move |n| {
        if n == 0 {
            return Some(header.as_bytes().to_vec());
        }
        if n <= rows {
            let refund = n % 5 == 0;
            let line = if refund {
                format!(
                    "`2026-12-01 09:30:12,`wxd678efh567hg6787,`1900000109,`0,`,`42000012342026{n:014},`order-{n},`oUpF8u,`JSAPI,`REFUND,`CMB_DEBIT,`CNY,`0.00,`0.00,`50300000012026{n:012},`refund-{n},`30.00,`0.00,`ORIGINAL,`SUCCESS,`tea,`,`-0.18000,`0.60%,`0.00,`30.00,`\r\n"
                )
            } else {
                format!(
                    "`2026-12-01 09:30:12,`wxd678efh567hg6787,`1900000109,`0,`,`42000012342026{n:014},`order-{n},`oUpF8u,`JSAPI,`SUCCESS,`CMB_DEBIT,`CNY,`100.00,`0.00,`0,`0,`0.00,`0.00,`,`,`tea,`,`0.60000,`0.60%,`100.00,`0.00,`\r\n"
                )
            };
            return Some(line.into_bytes());
        }
        if n == rows + 1 {
            return Some("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\r\n".as_bytes().to_vec());
        }
        None
    });
    let started = Instant::now();
    let mut read = 0u64;
    for entry in paybridge::wechatpay::bills::read_bill(wechat) {
        entry.expect("a generated row reads");
        read += 1;
    }
    assert_eq!(read, rows);
    report("wechatpay tradebill (UTF-8 CSV)", read, started);

    // Alipay's detail file: GBK, comment lines, padded fields, refund rows negative.
    let (gbk_header, _, _) = encoding_rs::GBK.encode(
        "#支付宝业务明细查询\n#账号：[20881011064993640156]\n支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注\n",
    );
    let gbk_header = gbk_header.into_owned();
    let (gbk_footer, _, _) =
        encoding_rs::GBK.encode("#-----业务明细列表结束-----\n#交易合计：0笔\n");
    let gbk_footer = gbk_footer.into_owned();
    let alipay = lines(move |n| {
        if n == 0 {
            return Some(gbk_header.clone());
        }
        if n <= rows {
            let text = if n % 5 == 0 {
                format!(
                    "2026120322001400{n:012}\t,order-{n}\t,退款,茶,2026-12-03 11:00:00,2026-12-03 11:00:01,,,,,139****0000,-40.00,-40.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,refund-{n}\t,0.24,0.00,\n"
                )
            } else {
                format!(
                    "2026120322001400{n:012}\t,order-{n}\t,交易,茶,2026-12-03 10:00:00,2026-12-03 10:00:03,,,,,139****0000,100.00,100.00,0.00,0.00,0.00,0.00,0.00,,0.00,0.00,,-0.60,0.00,\n"
                )
            };
            let (bytes, _, _) = encoding_rs::GBK.encode(&text);
            return Some(bytes.into_owned());
        }
        (n == rows + 1).then(|| gbk_footer.clone())
    });
    let started = Instant::now();
    let mut read = 0u64;
    for entry in paybridge::alipay::read_bill_csv(alipay) {
        entry.expect("a generated row reads");
        read += 1;
    }
    assert_eq!(read, rows);
    report("alipay trade detail (GBK CSV)", read, started);
}
