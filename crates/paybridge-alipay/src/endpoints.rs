//! Every Alipay call paybridge makes, in one table. Alipay has one gateway and tells its calls
//! apart by the `method` parameter, which is in each row's path as the official SDK sends it
//! (in the query string); the rest of the protocol's parameters and `biz_content` travel in the
//! form body. Which call applies something decides how a refusal after a lost attempt is
//! reported.

use crate::wire::requests::{TradeRefund, TradeRefundQuery};
use crate::wire::responses::{RefundQueryResponse, TradeRefundResponse};

paybridge_core::endpoints! {
    TradeRefund => Post "/gateway.do?method=alipay.trade.refund" -> TradeRefundResponse, applies;
    TradeRefundQuery => Post "/gateway.do?method=alipay.trade.fastpay.refund.query" -> RefundQueryResponse, reads;
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
        const FLAGS: [bool; 2] = [TradeRefund::APPLIES, TradeRefundQuery::APPLIES];
        assert_eq!(FLAGS, [true, false]);
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
