//! WeChat Pay's messages as they are on the wire: what the merchant sends (`requests`), what
//! WeChat Pay answers (`responses`), the bill calls (`bills`) and what it notifies (`notifications`), field for field,
//! amounts in fen.

pub mod bills;
pub mod notifications;
pub mod requests;
pub mod responses;
