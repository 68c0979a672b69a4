//! `BluePayClient`: one async method per endpoint, over any [`Transport`].

use paybridge_core::Endpoint;
use std::fmt;
use std::sync::Arc;

use paybridge_core::{Clock, Currency, Error, IdGenerator, Money};
use paybridge_transport::{Connection, Transport};

use crate::codec::Codec;
use crate::config::BluePayConfig;
use crate::validate;
use crate::wire::requests::{
    BalanceParam, PayoutCheckParam, PayoutTransferParam, QrCreateParam, QrPaymentListParam,
    RefundParam, RefundPaymentsParam, WebPayCreateParam, WebPayDetailParam,
};
use crate::wire::responses::{
    PayoutCheckData, PayoutTransferData, QrCreateData, QrPayment, RefundData, RefundPayment,
    WebPayCreateData, WebPayDetail,
};

/// A BluePay merchant client. Every call validates its input first (nothing is sent on bad
/// input), signs `param` with the merchant key, and retries only with the same merchant ids.
pub struct BluePayClient<T> {
    connection: Connection<Codec, T>,
    pub(crate) refund_callback_url: Option<String>,
}

impl<T> fmt::Debug for BluePayClient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BluePayClient")
            .field("codec", self.connection.codec())
            .finish_non_exhaustive()
    }
}

impl<T> BluePayClient<T> {
    /// A client sending through `transport`, with the system clock.
    ///
    /// # Errors
    /// [`Error::Config`] when the base URL, a key or a default (callback URL, store number,
    /// payment method) is refused.
    pub fn new(config: BluePayConfig, transport: T) -> Result<BluePayClient<T>, Error> {
        if let Some(url) = &config.refund_callback_url {
            validate::url("refund_callback_url", url).map_err(|e| Error::Config {
                reason: e.to_string(),
            })?;
        }
        Ok(BluePayClient {
            connection: Connection::new(
                Codec::new(
                    &config.base_url,
                    &config.app_id,
                    config.merchant_key,
                    config.platform_key,
                )?,
                transport,
                config.retry,
                crate::codes::RETRY_RULES,
            ),
            refund_callback_url: config.refund_callback_url,
        })
    }

    /// Uses `clock` for every attempt's `timestamp` (and `ids` for its nonce, which BluePay does not
    /// sign) — tests and replays.
    pub fn with_sources(
        mut self,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> BluePayClient<T> {
        self.connection.set_sources(clock, ids);
        self
    }

    /// Now, on the clock requests are stamped with.
    pub(crate) fn now(&self) -> paybridge_core::Timestamp {
        self.connection.now()
    }

    /// The codec, for building or reading messages without sending them.
    pub fn codec(&self) -> &Codec {
        self.connection.codec()
    }

    /// The transport this client sends through: to share its pooled connections with other
    /// clients, or to inspect a scripted test double.
    pub fn transport(&self) -> &T {
        self.connection.transport()
    }
}

impl<T: Transport> BluePayClient<T> {
    /// Sends `param` (timestamped now) and decodes the answer. Every BluePay call is keyed by a
    /// merchant id or only reads, so whatever [`Error::is_retryable`] allows is tried again
    /// within the retry policy: a lost or unanswered request, and a rejection BluePay calls
    /// retryable (server busy, timestamp expired, a refund still pending). Each attempt is
    /// re-signed with a fresh timestamp; every merchant id stays the same.
    ///
    /// For a call that applies something ([`Endpoint::APPLIES`]), an error after an attempt
    /// that may have been applied is reported as [`Error::OutcomeUnknown`], never as a refusal:
    /// the earlier attempt may be why BluePay refuses.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn call<E: Endpoint>(&self, param: E) -> Result<E::Response, Error>
    where
        Codec: paybridge_core::Codec<E>,
    {
        self.connection.call(&param).await
    }

    /// 5.1 Refund (the endpoint itself; [`paybridge_core::RefundProvider::refund`] adds the
    /// 21407 look-up and the unified model). Validates the id (1–32), amount (> 0) and callback URL first.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn create_refund(&self, param: RefundParam) -> Result<RefundData, Error> {
        validate::order_id("mchRefundOrderId", &param.mch_refund_order_id)?;
        validate::order_id("originalTransactionId", &param.original_transaction_id)?;
        validate::positive("refundAmount", param.refund_amount)?;
        validate::url("refundCallbackUrl", &param.refund_callback_url)?;
        if let Some(reason) = &param.refund_reason {
            validate::text("refundReason", reason, 256)?;
        }
        self.call(param).await
    }

    /// 5.2 Every refund of a payment.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn refund_payments(
        &self,
        original_transaction_id: &str,
    ) -> Result<Vec<RefundPayment>, Error> {
        validate::order_id("originalTransactionId", original_transaction_id)?;
        self.call(RefundPaymentsParam {
            original_transaction_id: Some(original_transaction_id.to_owned()),
            refund_transaction_id: None,
        })
        .await
    }

    /// 5.2 One refund by BluePay's refund id.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn refund_by_transaction(
        &self,
        refund_transaction_id: &str,
    ) -> Result<Vec<RefundPayment>, Error> {
        validate::order_id("refundTransactionId", refund_transaction_id)?;
        self.call(RefundPaymentsParam {
            original_transaction_id: None,
            refund_transaction_id: Some(refund_transaction_id.to_owned()),
        })
        .await
    }

    /// 3.1 Creates a QR code.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn qr_create(&self, param: QrCreateParam) -> Result<QrCreateData, Error> {
        validate::text("channelCode", &param.channel_code, 64)?;
        validate::order_id("mchOrderId", &param.mch_order_id)?;
        if let Some(amount) = param.amount {
            validate::positive("amount", amount)?;
        } else if param.channel_code.contains("DYNAMIC") {
            return Err(Error::invalid(
                "amount",
                "is required for a dynamic QR code",
            ));
        }
        validate::url("notifyUrl", &param.notify_url)?;
        if let Some(mobile) = &param.mobile {
            validate::thai_mobile("mobile", mobile)?;
        }
        validate::expire_seconds(param.expire_seconds)?;
        self.call(param).await
    }

    /// 3.3 Payments made on a QR code between two dates.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn qr_payment_list(
        &self,
        param: QrPaymentListParam,
    ) -> Result<Vec<QrPayment>, Error> {
        validate::order_id("mchOrderId", &param.mch_order_id)?;
        validate::date("startDate", &param.start_date)?;
        validate::date("endDate", &param.end_date)?;
        self.call(param).await
    }

    /// 4.1 Creates a WebPay payment page.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn webpay_create(&self, param: WebPayCreateParam) -> Result<WebPayCreateData, Error> {
        validate::text("channelCode", &param.channel_code, 64)?;
        validate::order_id("mchOrderId", &param.mch_order_id)?;
        validate::positive("amount", param.amount)?;
        validate::url("notifyUrl", &param.notify_url)?;
        validate::url("redirectUrl", &param.redirect_url)?;
        validate::text("customerName", &param.customer_name, 128)?;
        validate::text("email", &param.email, 128)?;
        validate::thai_mobile("mobile", &param.mobile)?;
        validate::expire_seconds(param.expire_seconds)?;
        if param.channel_code == "WECHAT_URL" && param.payer_client_ip.is_none() {
            return Err(Error::invalid(
                "payerClientIp",
                "is required for WECHAT_URL",
            ));
        }
        if param.channel_code == "WECHAT_JS_URL"
            && (param.wp_openid.is_none() || param.wp_appid.is_none())
        {
            return Err(Error::invalid(
                "wpOpenid",
                "wpOpenid and wpAppid are required for WECHAT_JS_URL",
            ));
        }
        self.call(param).await
    }

    /// 4.2 A WebPay payment's status.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn webpay_detail(&self, mch_order_id: &str) -> Result<WebPayDetail, Error> {
        validate::order_id("mchOrderId", mch_order_id)?;
        self.call(WebPayDetailParam {
            mch_order_id: mch_order_id.to_owned(),
        })
        .await
    }

    /// 2.1 Creates a payout.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn payout_transfer(
        &self,
        param: PayoutTransferParam,
    ) -> Result<PayoutTransferData, Error> {
        validate::order_id("mchOrderId", &param.mch_order_id)?;
        validate::order_id("idempotencyId", &param.idempotency_id)?;
        validate::positive("amount", param.amount)?;
        validate::one_of(
            "payMethodCode",
            &param.pay_method_code,
            &["BANK", "PROMPTPAY", "EWALLET"],
        )?;
        validate::text("accountNo", &param.account_no, 64)?;
        if param.account_no.is_empty() {
            return Err(Error::invalid("accountNo", "must not be empty"));
        }
        if let Some(kind) = &param.promptpay_account_type {
            validate::one_of("promptpayAccountType", kind, &["NATID", "MSISDN"])?;
        }
        if let Some(kind) = &param.account_type {
            validate::one_of("accountType", kind, &["INDIVIDUAL", "ORGANIZATION"])?;
        }
        if let Some(mobile) = &param.mobile {
            validate::thai_mobile("mobile", mobile)?;
        }
        self.call(param).await
    }

    /// 2.2 A payout's status.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn payout_check(&self, mch_order_id: &str) -> Result<PayoutCheckData, Error> {
        validate::order_id("mchOrderId", mch_order_id)?;
        self.call(PayoutCheckParam {
            mch_order_id: mch_order_id.to_owned(),
        })
        .await
    }

    /// 1.1 The account balance, parsed exactly from BluePay's decimal text.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] before anything is sent when the input breaks the provider's rules;
    /// otherwise the call's outcome: a refusal ([`Error::Rejected`]) that applied nothing, or
    /// [`Error::OutcomeUnknown`] when an attempt may have been applied — settle it by a look-up
    /// under the same ids, never by a new one.
    pub async fn balance(&self) -> Result<Money, Error> {
        let data = self.call(BalanceParam {}).await?;
        let text = data.balance.ok_or_else(|| Error::MalformedResponse {
            provider: crate::PROVIDER,
            http_status: None,
            reason: "balance answer without `balance`".into(),
        })?;
        Money::parse(&text, Currency::Thb).map_err(|e| Error::MalformedResponse {
            provider: crate::PROVIDER,
            http_status: None,
            reason: format!("balance {text:?}: {e}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paybridge_sign::{RsaPrivateKey, RsaPublicKey};

    #[test]
    fn no_key_material_in_debug_output() {
        let pem = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/merchant.pem"
        ))
        .unwrap();
        let public = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/platform.pub.pem"
        ))
        .unwrap();
        let config = BluePayConfig::new(
            "https://api.bluepay.test",
            "app",
            RsaPrivateKey::from_bytes(&pem).unwrap(),
            RsaPublicKey::from_bytes(&public).unwrap(),
        );
        let shown = format!("{config:?}");
        let pem = String::from_utf8(pem).unwrap();
        for line in pem.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!shown.contains(&line[..16]), "key material in {shown}");
        }
        assert!(shown.contains("[redacted]"));
        let client = BluePayClient::new(config, ()).unwrap();
        let shown = format!("{client:?}");
        assert!(
            shown.contains("[redacted]") && !shown.contains(&pem.lines().nth(3).unwrap()[..16])
        );
    }
}
