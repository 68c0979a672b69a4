//! Orders the customer's browser or app carries to Alipay's cashier — `alipay.trade.page.pay`
//! (desktop browser), `alipay.trade.wap.pay` (mobile browser) and `alipay.trade.app.pay` (the
//! merchant's app, through Alipay's SDK). Paybridge sends nothing for them: the order is signed
//! here exactly like a call ([`crate::Codec::sign_order`]: every parameter but `sign`, empty
//! ones dropped, sorted, joined with values raw, RSA2) and handed to the merchant in one of the
//! three shapes Alipay's own SDK writes:
//!
//! - a redirect URL, `gateway?` and every parameter URL-encoded (the SDK's `pageExecute`
//!   with `GET`);
//! - an auto-submitting HTML form posting every parameter to the gateway (the SDK's default
//!   `pageExecute`);
//! - the order string the app SDK takes (`sdkExecute`): every parameter sorted, values
//!   URL-encoded, `sign` last.
//!
//! All three are pure functions of the signed parameters.

use std::fmt;

use crate::codec::form_encode;

/// The longest redirect URL handed out. Beyond it a browser cashier gets the self-submitting
/// form instead: some browsers, WebViews and proxies still cut URLs near 2 KB (the old
/// Internet Explorer limit is 2083 characters), while a form body has no such limit. A long
/// description in Chinese (9 URL-encoded bytes a character) is what pushes an order past it.
pub const MAX_REDIRECT_URL_LEN: usize = 2000;

/// A signed cashier order: the gateway it goes to and its parameters, in signing order with
/// `sign` last.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedOrder {
    gateway: String,
    params: Vec<(&'static str, String)>,
}

// The order is not secret, but it is long: Debug shows what it is, not every byte of it.
impl fmt::Debug for SignedOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedOrder")
            .field("gateway", &self.gateway)
            .field("method", &self.get("method").unwrap_or_default().to_owned())
            .field("params", &self.params.len())
            .finish()
    }
}

impl SignedOrder {
    /// The order for `gateway` (the gateway's full URL) with `params` as signed.
    pub(crate) fn new(gateway: String, params: Vec<(&'static str, String)>) -> SignedOrder {
        SignedOrder { gateway, params }
    }

    /// The gateway's URL (`https://openapi.alipay.com/gateway.do`).
    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// Every parameter, `sign` last, as signed.
    pub fn params(&self) -> &[(&'static str, String)] {
        &self.params
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The parameters sorted by name (byte order), `sign` among them as the official SDK
    /// writes a redirect URL.
    fn sorted(&self) -> Vec<(&str, &str)> {
        let mut sorted: Vec<(&str, &str)> =
            self.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        sorted.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        sorted
    }

    /// The redirect URL: `gateway?` and every parameter, sorted, URL-encoded.
    pub fn redirect_url(&self) -> String {
        format!("{}?{}", self.gateway, form_encode(self.sorted()))
    }

    /// A complete HTML page whose form posts every parameter to the gateway as soon as it
    /// loads (a button does it without JavaScript). `charset` rides in the form's action, as
    /// the official SDK puts it, so the gateway knows how to read the body before reading it;
    /// every other parameter is a hidden input. Every value is HTML-escaped.
    pub fn form_html(&self) -> String {
        let action = format!("{}?{}", self.gateway, form_encode([("charset", "utf-8")]));
        let mut html = String::with_capacity(
            1024 + self.params.iter().map(|(_, v)| v.len() + 64).sum::<usize>(),
        );
        html.push_str(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Alipay</title></head><body>\n",
        );
        html.push_str(
            "<form name=\"punchout_form\" method=\"post\" accept-charset=\"utf-8\" action=\"",
        );
        html.push_str(&html_escape(&action));
        html.push_str("\">\n");
        for (name, value) in self.params.iter().filter(|(k, _)| *k != "charset") {
            html.push_str("<input type=\"hidden\" name=\"");
            html.push_str(&html_escape(name));
            html.push_str("\" value=\"");
            html.push_str(&html_escape(value));
            html.push_str("\">\n");
        }
        html.push_str(
            "<noscript><input type=\"submit\" value=\"Pay with Alipay\"></noscript>\n</form>\n",
        );
        html.push_str("<script>document.forms[0].submit();</script>\n</body></html>\n");
        html
    }

    /// The order string Alipay's app SDK takes: every parameter but `sign` sorted by name and
    /// joined `name=value` with `&`, the values URL-encoded, then `&sign=` and the encoded
    /// signature last (as Alipay's documentation and its app demo write it).
    pub fn order_string(&self) -> String {
        let sorted: Vec<(&str, &str)> = self
            .sorted()
            .into_iter()
            .filter(|(k, _)| *k != "sign")
            .collect();
        let mut out = form_encode(sorted);
        if let Some(sign) = self.get("sign") {
            out.push('&');
            out.push_str(&form_encode([("sign", sign)]));
        }
        out
    }
}

/// Text made safe inside an HTML attribute value or element: `&`, `<`, `>`, `"` and `'` as
/// character references.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> SignedOrder {
        SignedOrder::new(
            "https://openapi.alipay.test/gateway.do".into(),
            vec![
                ("app_id", "2014072300007148".into()),
                ("method", "alipay.trade.page.pay".into()),
                ("charset", "utf-8".into()),
                ("biz_content", r#"{"subject":"<a href='x'>&\"</a>"}"#.into()),
                ("sign", "ab+/cd==".into()),
            ],
        )
    }

    #[test]
    fn the_three_shapes_carry_every_parameter() {
        let order = order();
        assert_eq!(
            order.redirect_url(),
            "https://openapi.alipay.test/gateway.do?app_id=2014072300007148&biz_content=%7B%22subject%22%3A%22%3Ca+href%3D%27x%27%3E%26%5C%22%3C%2Fa%3E%22%7D&charset=utf-8&method=alipay.trade.page.pay&sign=ab%2B%2Fcd%3D%3D"
        );
        assert_eq!(
            order.order_string(),
            "app_id=2014072300007148&biz_content=%7B%22subject%22%3A%22%3Ca+href%3D%27x%27%3E%26%5C%22%3C%2Fa%3E%22%7D&charset=utf-8&method=alipay.trade.page.pay&sign=ab%2B%2Fcd%3D%3D"
        );
        let html = order.form_html();
        assert!(html.contains(r#"action="https://openapi.alipay.test/gateway.do?charset=utf-8""#));
        assert!(html.contains(
            r#"<input type="hidden" name="biz_content" value="{&quot;subject&quot;:&quot;&lt;a href=&#39;x&#39;&gt;&amp;\&quot;&lt;/a&gt;&quot;}">"#
        ));
        assert!(!html.contains(r#"name="charset""#));
        assert!(html.contains("document.forms[0].submit()"));
        // No markup of the order's own survives into the page.
        assert!(!html.contains("<a href"));
    }

    #[test]
    fn html_escape_leaves_text_and_escapes_markup() {
        assert_eq!(html_escape("支付 a-b_c"), "支付 a-b_c");
        assert_eq!(html_escape(r#"<"'&>"#), "&lt;&quot;&#39;&amp;&gt;");
    }
}
