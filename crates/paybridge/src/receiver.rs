//! A webhook receiver a merchant mounts in an axum application (feature `axum`): one [`Router`]
//! per provider that
//!
//! 1. reads the raw body, up to a size limit (413 beyond it);
//! 2. verifies it over those raw bytes, headers included where the provider signs them (401 and
//!    a `tracing` warning when it does not verify; 400 when it is not a notification at all);
//! 3. records it in a [`NotificationStore`] and, unless it was handled before, calls the
//!    merchant's async handler with the typed [`Notification`];
//! 4. writes the provider's exact acknowledgement only after the handler succeeded (and the
//!    store recorded it), so a failed handler sees the redelivery.
//!
//! Correctly signed events paybridge does not know are acknowledged and handed over as
//! [`paybridge_core::NotificationEvent::Unrecognized`] rather than refused — a refusal would make
//! the provider redeliver them forever.
//!
//! ```no_run
//! # async fn run(provider: std::sync::Arc<dyn paybridge::RefundProvider>) -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use paybridge::notification_store::SqliteNotificationStore;
//! use paybridge::receiver::Receiver;
//!
//! let store = Arc::new(SqliteNotificationStore::open("notifications.sqlite", std::time::Duration::from_secs(60))?);
//! let hooks = Receiver::new(provider, store, |notification: paybridge::Notification| async move {
//!     println!("{:?}", notification.event);
//!     Ok(())
//! });
//! let app = axum::Router::new().nest("/hooks/bluepay", hooks.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9000").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use bytes::Bytes;
use paybridge_core::{Error, Notification, RefundProvider};

use crate::notification_store::{Claim, NotificationStore};

/// What a handler returns: `Err` leaves the notification unacknowledged, so it is delivered
/// again and the handler runs again.
pub type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The merchant's code that acts on a verified notification. Any
/// `Fn(Notification) -> impl Future<Output = HandlerResult>` is one.
pub trait NotificationHandler: Send + Sync + 'static {
    /// Acts on `notification`.
    fn handle(
        &self,
        notification: Notification,
    ) -> Pin<Box<dyn Future<Output = HandlerResult> + Send + 'static>>;
}

impl<F, Fut> NotificationHandler for F
where
    F: Fn(Notification) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    fn handle(
        &self,
        notification: Notification,
    ) -> Pin<Box<dyn Future<Output = HandlerResult> + Send + 'static>> {
        Box::pin(self(notification))
    }
}

/// The largest notification body read by default (providers send a few kilobytes).
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// A provider's webhook endpoint: its verifier, the store, and the merchant's handler.
pub struct Receiver {
    account: String,
    provider: Arc<dyn RefundProvider>,
    store: Arc<dyn NotificationStore>,
    handler: Arc<dyn NotificationHandler>,
    body_limit: usize,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("account", &self.account)
            .field("provider", &self.provider.name())
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver for `provider`'s notifications, recording them in `store` and handing them
    /// to `handler`. Its account is the provider's name; name it with [`Receiver::for_account`]
    /// where one provider has several accounts.
    pub fn new(
        provider: Arc<dyn RefundProvider>,
        store: Arc<dyn NotificationStore>,
        handler: impl NotificationHandler,
    ) -> Receiver {
        Receiver {
            account: provider.name().to_owned(),
            provider,
            store,
            handler: Arc::new(handler),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The account these notifications arrive for (`bluepay.th-main`, as named in
    /// `paybridge.toml`): the store keeps each account's news apart, so two accounts of one
    /// provider that use the same refund ids each see their own notifications handled once.
    #[must_use]
    pub fn for_account(mut self, account: impl Into<String>) -> Receiver {
        self.account = account.into();
        self
    }

    /// Reads bodies up to `bytes` (default [`DEFAULT_BODY_LIMIT`]).
    #[must_use]
    pub fn with_body_limit(mut self, bytes: usize) -> Receiver {
        self.body_limit = bytes;
        self
    }

    /// The router: `POST /` receives. It fits an app of any state: nest it with
    /// [`Router::nest`] where the provider delivers (`/hooks/bluepay` is then matched, but not
    /// `/hooks/bluepay/`: see [`Receiver::mount`], which takes both).
    pub fn router<S>(self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        Router::new()
            .route("/", post(receive))
            .with_state(Arc::new(self))
    }

    /// Adds the receiver to `app` at `path`, with and without a trailing slash — a notify URL
    /// written either way is served, never a silent 404 the provider redelivers to for days.
    /// `app` may have any state.
    ///
    /// ```no_run
    /// # fn mount(receiver: paybridge::receiver::Receiver) {
    /// #[derive(Clone)]
    /// struct AppState {
    ///     db: std::sync::Arc<String>,
    /// }
    /// let app: axum::Router<AppState> = axum::Router::new();
    /// let app = receiver.mount(app, "/hooks/bluepay");
    /// let app: axum::Router = app.with_state(AppState { db: std::sync::Arc::new("db".into()) });
    /// # let _ = app; }
    /// ```
    pub fn mount<S>(self, app: Router<S>, path: &str) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let path = path.trim_end_matches('/');
        let endpoint = post(receive).with_state(Arc::new(self));
        if path.is_empty() {
            app.route("/", endpoint)
        } else {
            app.route(path, endpoint.clone())
                .route(&format!("{path}/"), endpoint)
        }
    }
}

fn status(code: u16, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() =
        http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

async fn receive(State(receiver): State<Arc<Receiver>>, request: Request) -> Response {
    let provider = receiver.provider.name();
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, receiver.body_limit).await else {
        tracing::warn!(
            provider,
            limit = receiver.body_limit,
            "notification body too large"
        );
        return status(413, "body too large");
    };
    let raw: http::Request<Bytes> = http::Request::from_parts(parts, bytes);
    let notification = match receiver.provider.verify_notification(&raw).await {
        Ok(notification) => notification,
        Err(Error::Verification { reason, .. }) => {
            tracing::warn!(provider, %reason, "notification failed verification; refused");
            return status(401, "unverified");
        }
        Err(
            Error::MalformedResponse {
                http_status: None, ..
            }
            | Error::InvalidRequest { .. },
        ) => {
            tracing::warn!(provider, "not a notification; refused");
            return status(400, "not a notification");
        }
        // A provider that confirms notifications by a query (Nomad) could not reach it: let
        // the provider deliver again.
        Err(error) => {
            tracing::warn!(provider, %error, "notification could not be confirmed yet");
            return status(503, "try again");
        }
    };
    match receiver.store.begin(&receiver.account, &notification).await {
        Ok(Claim::AlreadyHandled) => receiver.provider.notification_ack().map(Body::from),
        Ok(Claim::InProgress) => status(409, "being handled"),
        Err(error) => {
            tracing::warn!(provider, %error, "notification store unavailable");
            status(503, "try again")
        }
        Ok(Claim::Handle) => match receiver.handler.handle(notification.clone()).await {
            Ok(()) => match receiver
                .store
                .handled(&receiver.account, &notification)
                .await
            {
                Ok(()) => receiver.provider.notification_ack().map(Body::from),
                Err(error) => {
                    tracing::warn!(provider, %error, "handled, but could not record it");
                    status(503, "try again")
                }
            },
            Err(error) => {
                tracing::warn!(provider, %error, "the handler failed; the provider will deliver again");
                if let Err(error) = receiver
                    .store
                    .failed(&receiver.account, &notification)
                    .await
                {
                    tracing::warn!(provider, %error, "could not release the claim");
                }
                status(500, "handler failed")
            }
        },
    }
}
