//! The provider's messages as they are on the wire: what the merchant sends (`requests`), what
//! the provider answers (`responses`) and what it notifies (`notifications`), field for field.

pub mod notifications;
pub mod requests;
pub mod responses;
