//! Alipay's messages as they are on the wire: the `biz_content` of each call (`requests`), the
//! signed reply values (`responses`) and the async notification's form (`notifications`), field
//! for field. Amounts travel as yuan decimal strings (`"88.88"`), converted exactly.

pub mod notifications;
pub mod requests;
pub mod responses;
