//! Every WeChat Pay call paybridge makes, in one table: method, path below the base URL, what
//! it answers with, and whether it applies something (which decides how a refusal after a lost
//! attempt is reported). `{name}` parts are filled from the request, percent-encoded as one
//! segment; the queries' `mchid` is a query parameter.

use crate::wire::bills::{BillAnswer, FundFlowBillRequest, TradeBillRequest};
use crate::wire::requests::{
    AppPrepay, CloseOrder, CreateRefundRequest, H5Prepay, JsapiPrepay, NativePrepay,
    QueryByOutTradeNo, QueryByTransactionId, QueryRefund,
};
use crate::wire::responses::{
    H5PrepayResponse, NativePrepayResponse, NoContent, PrepayIdResponse, RefundResponse,
    Transaction,
};

paybridge_core::endpoints! {
    CreateRefundRequest => Post "/v3/refund/domestic/refunds" -> RefundResponse, applies;
    QueryRefund => Get "/v3/refund/domestic/refunds/{out_refund_no}" -> RefundResponse, reads {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "out_refund_no").then_some(self.out_refund_no.as_str())
        }
    };
    JsapiPrepay => Post "/v3/pay/transactions/jsapi" -> PrepayIdResponse, applies;
    AppPrepay => Post "/v3/pay/transactions/app" -> PrepayIdResponse, applies;
    H5Prepay => Post "/v3/pay/transactions/h5" -> H5PrepayResponse, applies;
    NativePrepay => Post "/v3/pay/transactions/native" -> NativePrepayResponse, applies;
    QueryByOutTradeNo => Get "/v3/pay/transactions/out-trade-no/{out_trade_no}" -> Transaction, reads {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "out_trade_no").then_some(self.out_trade_no.as_str())
        }
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![("mchid", Some(self.mchid.as_str()))]
        }
    };
    QueryByTransactionId => Get "/v3/pay/transactions/id/{transaction_id}" -> Transaction, reads {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "transaction_id").then_some(self.transaction_id.as_str())
        }
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![("mchid", Some(self.mchid.as_str()))]
        }
    };
    // Closing changes the order's state, so a refusal after a lost attempt proves nothing.
    CloseOrder => Post "/v3/pay/transactions/out-trade-no/{out_trade_no}/close" -> NoContent, applies {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "out_trade_no").then_some(self.out_trade_no.as_str())
        }
    };
    // The bills only read; the file itself is a signed GET of the answer's `download_url`,
    // which is no fixed path (see `crate::bills`).
    TradeBillRequest => Get "/v3/bill/tradebill" -> BillAnswer, reads {
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![
                ("bill_date", Some(self.bill_date.as_str())),
                ("bill_type", Some(self.bill_type.as_str())),
                ("tar_type", self.tar_type.as_deref()),
            ]
        }
    };
    FundFlowBillRequest => Get "/v3/bill/fundflowbill" -> BillAnswer, reads {
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![
                ("bill_date", Some(self.bill_date.as_str())),
                ("account_type", Some(self.account_type.as_str())),
                ("tar_type", self.tar_type.as_deref()),
            ]
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::requests::PrepayRequest;
    use paybridge_core::Endpoint;

    #[test]
    fn creations_and_closes_apply_and_queries_read() {
        const FLAGS: [bool; 11] = [
            CreateRefundRequest::APPLIES,
            QueryRefund::APPLIES,
            JsapiPrepay::APPLIES,
            AppPrepay::APPLIES,
            H5Prepay::APPLIES,
            NativePrepay::APPLIES,
            QueryByOutTradeNo::APPLIES,
            QueryByTransactionId::APPLIES,
            CloseOrder::APPLIES,
            TradeBillRequest::APPLIES,
            FundFlowBillRequest::APPLIES,
        ];
        assert_eq!(
            FLAGS,
            [
                true, false, true, true, true, true, false, false, true, false, false
            ]
        );
        assert_eq!(
            QueryRefund::new("r-1").path_value("out_refund_no"),
            Some("r-1")
        );
        let query = QueryByOutTradeNo::new("order-1", "1900000109");
        assert_eq!(query.path_value("out_trade_no"), Some("order-1"));
        assert_eq!(query.query(), vec![("mchid", Some("1900000109"))]);
        let by_id = QueryByTransactionId::new("4200000001", "1900000109");
        assert_eq!(by_id.path_value("transaction_id"), Some("4200000001"));
        assert_eq!(by_id.path_value("out_trade_no"), None);
        let close = CloseOrder::new("order-1", "1900000109");
        assert_eq!(close.path_value("out_trade_no"), Some("order-1"));
        // The close's body is the merchant id alone; the order travels in the path.
        assert_eq!(
            serde_json::to_string(&close).unwrap_or_default(),
            r#"{"mchid":"1900000109"}"#
        );
        // A prepay newtype is its request, field for field.
        let prepay = PrepayRequest::new("wx1", "1900000109", "d", "order-1", "https://m.test/n", 1);
        assert_eq!(
            serde_json::to_value(JsapiPrepay(prepay.clone())).ok(),
            serde_json::to_value(prepay).ok()
        );
        assert_eq!(
            TradeBillRequest::new("2026-12-01", "ALL", true).query(),
            vec![
                ("bill_date", Some("2026-12-01")),
                ("bill_type", Some("ALL")),
                ("tar_type", Some("GZIP"))
            ]
        );
        assert_eq!(
            FundFlowBillRequest::new("2026-12-01", "BASIC", false).query(),
            vec![
                ("bill_date", Some("2026-12-01")),
                ("account_type", Some("BASIC")),
                ("tar_type", None)
            ]
        );
        assert_eq!(ENDPOINTS.len(), 11);
    }
}
