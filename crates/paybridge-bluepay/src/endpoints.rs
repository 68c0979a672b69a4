//! Every BluePay call in one table: method, path below the base URL, what it answers with, and
//! whether it applies something (which decides how a refusal after a lost attempt is
//! reported). All calls are `POST`s of a signed envelope.

use crate::wire::requests::{
    BalanceParam, PayoutCheckParam, PayoutTransferParam, QrCreateParam, QrPaymentListParam,
    RefundParam, RefundPaymentsParam, WebPayCreateParam, WebPayDetailParam,
};
use crate::wire::responses::{
    BalanceData, PayoutCheckData, PayoutTransferData, QrCreateData, QrPayment, RefundData,
    RefundPayment, WebPayCreateData, WebPayDetail,
};

paybridge_core::endpoints! {
    RefundParam => Post "/open-api/payment/refund" -> RefundData, applies;
    RefundPaymentsParam => Post "/open-api/refund/payments" -> Vec<RefundPayment>, reads;
    QrCreateParam => Post "/open-api/qr/generate" -> QrCreateData, applies;
    QrPaymentListParam => Post "/open-api/qr/paymentList" -> Vec<QrPayment>, reads;
    WebPayCreateParam => Post "/open-api/webpay/generate" -> WebPayCreateData, applies;
    WebPayDetailParam => Post "/open-api/webpay/detail" -> WebPayDetail, reads;
    PayoutTransferParam => Post "/open-api/disbursement/transfer" -> PayoutTransferData, applies;
    PayoutCheckParam => Post "/open-api/disbursement/check" -> PayoutCheckData, reads;
    BalanceParam => Post "/open-api/account/balance" -> BalanceData, reads;
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::Endpoint;

    /// Which calls apply something decides whether a refusal after a lost attempt may be
    /// reported: refunds, payouts and payment pages do; look-ups and the balance only read.
    #[test]
    fn the_calls_that_apply_something_say_so() {
        const APPLYING: [bool; 4] = [
            RefundParam::APPLIES,
            QrCreateParam::APPLIES,
            WebPayCreateParam::APPLIES,
            PayoutTransferParam::APPLIES,
        ];
        const READING: [bool; 5] = [
            RefundPaymentsParam::APPLIES,
            QrPaymentListParam::APPLIES,
            WebPayDetailParam::APPLIES,
            PayoutCheckParam::APPLIES,
            BalanceParam::APPLIES,
        ];
        assert!(APPLYING.iter().all(|a| *a));
        assert!(READING.iter().all(|a| !*a));
    }
}
