//! Every WeChat Pay call paybridge makes, in one table: method, path below the base URL, what
//! it answers with, and whether it applies something (which decides how a refusal after a lost
//! attempt is reported). The query's `{out_refund_no}` is filled from the request,
//! percent-encoded as one segment.

use crate::wire::requests::{CreateRefundRequest, QueryRefund};
use crate::wire::responses::RefundResponse;

paybridge_core::endpoints! {
    CreateRefundRequest => Post "/v3/refund/domestic/refunds" -> RefundResponse, applies;
    QueryRefund => Get "/v3/refund/domestic/refunds/{out_refund_no}" -> RefundResponse, reads {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "out_refund_no").then_some(self.out_refund_no.as_str())
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::Endpoint;

    #[test]
    fn the_refund_applies_and_the_query_reads() {
        const FLAGS: [bool; 2] = [CreateRefundRequest::APPLIES, QueryRefund::APPLIES];
        assert_eq!(FLAGS, [true, false]);
        assert_eq!(
            QueryRefund::new("r-1").path_value("out_refund_no"),
            Some("r-1")
        );
        assert_eq!(ENDPOINTS.len(), 2);
    }
}
