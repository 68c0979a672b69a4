//! Every ScanForPay call in one table: method, path below the base URL, what it answers with,
//! and whether it applies something (which decides how a refusal after a lost attempt is
//! reported). All calls are `POST`s of a signed envelope.

use crate::wire::requests::{
    BarcodePayBody, DynamicQrBody, HostedQrBody, JsapiBody, PayQueryBody, RefundBody,
    WebsiteRedirectBody,
};
use crate::wire::responses::{
    PayQueryResponse, PayUrlResponse, QrResponse, RefundResponse, ResponseValue,
};

paybridge_core::endpoints! {
    RefundBody => Post "/api/common/refund" -> ResponseValue<RefundResponse>, applies;
    PayQueryBody => Post "/api/common/payQuery" -> ResponseValue<PayQueryResponse>, reads;
    BarcodePayBody => Post "/api/offline/pay" -> ResponseValue<PayQueryResponse>, applies;
    DynamicQrBody => Post "/api/offline/create" -> ResponseValue<QrResponse>, applies;
    HostedQrBody => Post "/api/offline/qrcode" -> ResponseValue<PayUrlResponse>, applies;
    WebsiteRedirectBody => Post "/api/online/create" -> ResponseValue<PayUrlResponse>, applies;
    JsapiBody => Post "/api/jspay/create" -> ResponseValue<PayUrlResponse>, applies;
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_core::Endpoint;

    /// Which calls apply something decides whether a refusal after a lost attempt may be
    /// reported: every call but the payment query moves money or creates an order.
    #[test]
    fn only_the_payment_query_only_reads() {
        const APPLYING: [bool; 6] = [
            RefundBody::APPLIES,
            BarcodePayBody::APPLIES,
            DynamicQrBody::APPLIES,
            HostedQrBody::APPLIES,
            WebsiteRedirectBody::APPLIES,
            JsapiBody::APPLIES,
        ];
        assert!(APPLYING.iter().all(|a| *a));
        const { assert!(!PayQueryBody::APPLIES) };
    }
}
