//! Every Alipay call paybridge makes, in one table. Alipay has one gateway and tells its calls
//! apart by the `method` parameter, which is in each row's path as the official SDK sends it
//! (in the query string); the rest of the protocol's parameters and `biz_content` travel in the
//! form body. Which call applies something decides how a refusal after a lost attempt is
//! reported.
//!
//! The cashier calls (`alipay.trade.page.pay`, `wap.pay`, `app.pay`) are not here: paybridge
//! never sends them, the customer's browser or app carries them ([`crate::cashier`]).

use crate::wire::requests::{
    BillDownloadUrlQuery, TradeCancel, TradeClose, TradeCreate, TradePay, TradePrecreate,
    TradeQuery, TradeRefund, TradeRefundQuery,
};
use crate::wire::responses::{
    BillDownloadUrlResponse, PrecreateResponse, RefundQueryResponse, TradeCancelResponse,
    TradeCloseResponse, TradeCreateResponse, TradePayResponse, TradeQueryResponse,
    TradeRefundResponse,
};

paybridge_core::endpoints! {
    TradeRefund => Post "/gateway.do?method=alipay.trade.refund" -> TradeRefundResponse, applies;
    TradeRefundQuery => Post "/gateway.do?method=alipay.trade.fastpay.refund.query" -> RefundQueryResponse, reads;
    TradePrecreate => Post "/gateway.do?method=alipay.trade.precreate" -> PrecreateResponse, applies;
    TradePay => Post "/gateway.do?method=alipay.trade.pay" -> TradePayResponse, applies;
    TradeCreate => Post "/gateway.do?method=alipay.trade.create" -> TradeCreateResponse, applies;
    TradeQuery => Post "/gateway.do?method=alipay.trade.query" -> TradeQueryResponse, reads;
    TradeClose => Post "/gateway.do?method=alipay.trade.close" -> TradeCloseResponse, applies;
    TradeCancel => Post "/gateway.do?method=alipay.trade.cancel" -> TradeCancelResponse, applies;
    BillDownloadUrlQuery => Post "/gateway.do?method=alipay.data.dataservice.bill.downloadurl.query" -> BillDownloadUrlResponse, reads;
}

/// The `method` parameter of a row's path.
pub fn method_of(path: &str) -> Option<&str> {
    path.split_once("?method=").map(|(_, method)| method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::Endpoint;

    #[test]
    fn the_refund_applies_and_the_query_reads_each_under_its_method() {
        const FLAGS: [bool; 9] = [
            TradeRefund::APPLIES,
            TradeRefundQuery::APPLIES,
            TradePrecreate::APPLIES,
            TradePay::APPLIES,
            TradeCreate::APPLIES,
            TradeQuery::APPLIES,
            TradeClose::APPLIES,
            TradeCancel::APPLIES,
            BillDownloadUrlQuery::APPLIES,
        ];
        assert_eq!(
            FLAGS,
            [true, false, true, true, true, false, true, true, false]
        );
        assert_eq!(
            method_of(BillDownloadUrlQuery::PATH),
            Some("alipay.data.dataservice.bill.downloadurl.query")
        );
        assert_eq!(method_of(TradePay::PATH), Some("alipay.trade.pay"));
        assert_eq!(method_of(TradeCancel::PATH), Some("alipay.trade.cancel"));
        assert_eq!(method_of(TradeRefund::PATH), Some("alipay.trade.refund"));
        assert_eq!(
            method_of(TradeRefundQuery::PATH),
            Some("alipay.trade.fastpay.refund.query")
        );
        assert!(
            ENDPOINTS
                .iter()
                .all(|row| row.path.starts_with("/gateway.do?method=alipay."))
        );
    }
}
