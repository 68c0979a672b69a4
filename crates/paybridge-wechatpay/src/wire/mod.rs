//! WeChat Pay's messages as they are on the wire: what the merchant sends (`requests`), what
//! WeChat Pay answers (`responses`) and what it notifies (`notifications`), field for field,
//! amounts in fen.

pub mod notifications;
pub mod requests;
pub mod responses;
