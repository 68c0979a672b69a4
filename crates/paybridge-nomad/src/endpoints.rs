//! Every broker call in one table: method, path below the base URL (`{merchant}` is the
//! account's, percent-encoded), what it answers with, and whether it applies something (which
//! decides how a refusal after a lost attempt is reported). `GET` calls and the close call
//! carry their fields in the path and query; the others send them as a JSON body.

use crate::wire::requests::{
    ClosePayment, CreatePaymentRequest, CreateRefundRequest, QueryPayment, QueryRefund,
};
use crate::wire::responses::{
    ClosePaymentResponse, CreatePaymentResponse, QueryPaymentResponse, RefundResponse,
};

paybridge_core::endpoints! {
    CreateRefundRequest => Post "/refund/{merchant}" -> RefundResponse, applies;
    QueryRefund => Get "/refund/{merchant}" -> RefundResponse, reads {
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![
                ("refund_order_ref", Some(self.refund_order_ref.as_str())),
                ("order_ref", self.order_ref.as_deref()),
                ("refund_id", self.refund_id.as_deref()),
                ("payment_method", self.payment_method.as_deref()),
            ]
        }
    };
    CreatePaymentRequest => Post "/payment/{merchant}" -> CreatePaymentResponse, applies;
    QueryPayment => Get "/payment/{merchant}" -> QueryPaymentResponse, reads {
        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![
                ("order_ref", self.order_ref.as_deref()),
                ("payment_method", self.payment_method.as_deref()),
            ]
        }
    };
    ClosePayment => Post "/payment/close/{merchant}/{order_ref}" -> ClosePaymentResponse, applies {
        fn path_value(&self, name: &str) -> Option<&str> {
            (name == "order_ref").then_some(self.order_ref.as_str())
        }

        fn query(&self) -> Vec<(&'static str, Option<&str>)> {
            vec![("payment_method", self.payment_method.as_deref())]
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calls_that_create_say_so_and_every_path_names_the_merchant() {
        for row in ENDPOINTS {
            assert!(
                row.path.starts_with('/') && row.path.contains("{merchant}"),
                "{row:?}"
            );
            let reads = row.method == paybridge_core::Method::Get;
            assert_eq!(row.applies, !reads, "{row:?}");
        }
    }
}
