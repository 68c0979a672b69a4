//! A merchant's notification endpoint for every configured provider, built on the axum
//! receiver: each delivery is verified with the provider's own rules over the raw body, handed
//! to the handler once (a SQLite store remembers what was handled, across restarts), and
//! acknowledged the provider's way only after the handler succeeded.
//!
//! ```sh
//! paybridge sandbox --write-config sandbox/paybridge.toml &
//! cargo run -p paybridge --features axum --example webhook_server -- sandbox/paybridge.toml 127.0.0.1:9000
//! # refunds made with --notify-url http://127.0.0.1:9000/bluepay (or /nomad, /scanforpay) report here
//! ```
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use paybridge::notification_store::SqliteNotificationStore;
use paybridge::receiver::{HandlerResult, Receiver};
use paybridge::{Config, Gateway, Notification};

async fn act(notification: Notification) -> HandlerResult {
    // The merchant's business: mark the refund done in the order system, email the customer…
    println!(
        "{}",
        serde_json::to_string(&notification).map_err(|e| e.to_string())?
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let config = args.next().unwrap_or_else(|| "paybridge.toml".into());
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let gateway = Gateway::from_config(&Config::load(&config)?)?;
    let store = Arc::new(SqliteNotificationStore::open(
        "notifications.sqlite",
        Duration::from_secs(60),
    )?);
    let mut app = axum::Router::new();
    for name in gateway.names() {
        let provider = Arc::clone(gateway.provider(name)?);
        let receiver = Receiver::new(provider, store.clone(), act);
        app = app.nest(&format!("/{name}"), receiver.router());
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("receiving notifications on http://{listen}/{{provider}}");
    axum::serve(listener, app).await?;
    Ok(())
}
