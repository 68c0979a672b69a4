//! Refund requests from tabular rows (the `batch` command's CSV): which column is which, and a
//! row's text fields turned into a validated [`RefundRequest`].

use std::collections::HashMap;

use paybridge_core::{
    Currency, Error, MerchantRefundId, Money, OrderRef, PaymentRef, RefundRequest,
};

/// Column positions, from a header row (names case-insensitive, in any order).
#[derive(Clone, Debug)]
pub struct Columns {
    index: HashMap<String, usize>,
}

/// The columns every row needs.
pub const REQUIRED_COLUMNS: [&str; 3] = ["refund_id", "amount", "currency"];

impl Columns {
    /// Reads a header row; refund_id, amount and currency are required.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a missing or repeated column.
    pub fn from_header<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Columns, Error> {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, name) in names.into_iter().enumerate() {
            let name = name.trim().to_lowercase();
            if name.is_empty() {
                continue;
            }
            if index.insert(name.clone(), i).is_some() {
                return Err(Error::invalid(
                    "header",
                    format!("the CSV header names the column {name} twice"),
                ));
            }
        }
        for required in REQUIRED_COLUMNS {
            if !index.contains_key(required) {
                return Err(Error::invalid(
                    "header",
                    format!("the CSV header has no {required} column"),
                ));
            }
        }
        Ok(Columns { index })
    }

    /// Where column `name` is.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

/// A refund request as text fields.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestFields<'a> {
    /// The merchant's refund id.
    pub refund_id: &'a str,
    /// The amount as a decimal.
    pub amount: &'a str,
    /// ISO 4217 code.
    pub currency: &'a str,
    /// The provider's payment reference.
    pub payment: Option<&'a str>,
    /// The merchant order reference.
    pub order_ref: Option<&'a str>,
    /// The payment's total, as a decimal.
    pub total: Option<&'a str>,
    /// Shown to the customer.
    pub reason: Option<&'a str>,
    /// Notification URL.
    pub notify_url: Option<&'a str>,
}

impl<'a> RequestFields<'a> {
    /// The fields of a row, looked up by column (`get(i)` gives the text of column `i`).
    pub fn from_row(
        columns: &Columns,
        get: impl Fn(usize) -> Option<&'a str>,
    ) -> RequestFields<'a> {
        let field = |name: &str| columns.position(name).and_then(&get).map(str::trim);
        RequestFields {
            refund_id: field("refund_id").unwrap_or(""),
            amount: field("amount").unwrap_or(""),
            currency: field("currency").unwrap_or(""),
            payment: field("payment"),
            order_ref: field("order_ref"),
            total: field("total"),
            reason: field("reason"),
            notify_url: field("notify_url"),
        }
    }

    /// Validates the fields into a request (empty optional fields count as absent).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming a missing or repeated column.
    pub fn to_request(&self) -> Result<RefundRequest, Error> {
        let currency = Currency::from_code(self.currency)
            .map_err(|e| Error::invalid("currency", e.to_string()))?;
        let money = |field: &str, text: &str| {
            Money::parse(text, currency).map_err(|e| Error::invalid(field, e.to_string()))
        };
        let present = |v: Option<&'a str>| v.filter(|s| !s.is_empty());
        let mut builder = RefundRequest::builder(
            MerchantRefundId::new(self.refund_id)?,
            money("amount", self.amount)?,
        );
        if let Some(payment) = present(self.payment) {
            builder = builder.payment(PaymentRef::new(payment)?);
        }
        if let Some(order_ref) = present(self.order_ref) {
            builder = builder.order_ref(OrderRef::new(order_ref)?);
        }
        if let Some(total) = present(self.total) {
            builder = builder.total(money("total", total)?);
        }
        if let Some(reason) = present(self.reason) {
            builder = builder.reason(reason);
        }
        if let Some(url) = present(self.notify_url) {
            builder = builder.notify_url(url);
        }
        builder.build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_in_any_column_order() {
        let columns = Columns::from_header(["Currency", "amount", "payment", "refund_id"]).unwrap();
        let row = ["THB", "12.34", "CU1", "r1"];
        let request = RequestFields::from_row(&columns, |i| row.get(i).copied())
            .to_request()
            .unwrap();
        assert_eq!(
            (request.refund_id().as_str(), request.amount().minor),
            ("r1", 1234)
        );
        assert!(Columns::from_header(["refund_id", "currency"]).is_err());
        assert!(Columns::from_header(["refund_id", "amount", "currency", " AMOUNT"]).is_err());
        let short = ["THB"];
        assert!(
            RequestFields::from_row(&columns, |i| short.get(i).copied())
                .to_request()
                .is_err()
        );
    }
}
